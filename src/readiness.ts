export interface CheckResult {
  readonly ok: boolean
  /** Why not, or a short state description; shown in `/readyz`. */
  readonly detail: string
  readonly [extra: string]: unknown
}

export type Check = () => CheckResult

/** Named readiness checks (transports, store...); `/readyz` is 200 only when all pass. */
export class Readiness {
  private readonly checks = new Map<string, Check>()
  private draining = false

  add(name: string, check: Check): void {
    this.checks.set(name, check)
  }

  setDraining(): void {
    this.draining = true
  }

  report(): { ready: boolean; checks: Record<string, CheckResult> } {
    const checks: Record<string, CheckResult> = {}
    for (const [name, check] of this.checks) checks[name] = check()
    if (this.draining) checks.shutdown = { ok: false, detail: 'shutting down' }
    return { ready: Object.values(checks).every((c) => c.ok), checks }
  }
}
