export interface CheckResult {
  readonly ok: boolean
  /** Passing, but with less than the full service (a shared store replaced by local memory). */
  readonly degraded?: boolean
  /** Why not, or a short state description; shown in `/readyz`. */
  readonly detail: string
  readonly [extra: string]: unknown
}

export type Check = () => CheckResult

export interface ReadinessReport {
  readonly ready: boolean
  /** `/readyz` says this; a degraded instance is ready (200) and says so. */
  readonly status: 'ready' | 'degraded' | 'not ready'
  readonly degraded: boolean
  readonly checks: Record<string, CheckResult>
}

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

  report(): ReadinessReport {
    const checks: Record<string, CheckResult> = {}
    for (const [name, check] of this.checks) checks[name] = check()
    if (this.draining) checks.shutdown = { ok: false, detail: 'shutting down' }
    const ready = Object.values(checks).every((c) => c.ok)
    const degraded = Object.values(checks).some((c) => c.degraded === true)
    return { ready, status: !ready ? 'not ready' : degraded ? 'degraded' : 'ready', degraded, checks }
  }
}
