import type { EmulatorProcess } from './processes.js'

/** One checked target: `value op limit`. */
export interface Target {
  readonly name: string
  readonly value: number
  readonly op: '<=' | '>=' | '<' | '=='
  readonly limit: number
  readonly unit: string
  readonly pass: boolean
}

export function target(name: string, value: number, op: Target['op'], limit: number, unit = ''): Target {
  const pass =
    op === '<=' ? value <= limit : op === '>=' ? value >= limit : op === '<' ? value < limit : value === limit
  return { name, value, op, limit, unit, pass: Number.isFinite(value) && pass }
}

export interface ScenarioResult {
  readonly name: string
  readonly title: string
  /** Rows for the printed table: what was measured, the baseline, their ratio. */
  readonly rows: ReadonlyArray<readonly [string, string]>
  readonly targets: readonly Target[]
  /** Everything measured, for the JSON. */
  readonly data: Record<string, unknown>
  readonly seconds: number
}

export interface BenchContext {
  readonly emu: EmulatorProcess
  readonly secret: string
  readonly log: (line: string) => void
}

export function ms(n: number): string {
  return `${n.toFixed(n < 10 ? 2 : 1)} ms`
}

export function perSecond(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')}/s`
}
