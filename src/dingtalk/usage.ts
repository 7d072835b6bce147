import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import { API_NAMES, type ApiName } from './errors.js'

/** How one upstream call went, in the few kinds people care about. */
export const CALL_OUTCOMES = ['ok', 'client-error', 'server-error', 'timeout', 'network'] as const
export type CallOutcome = (typeof CALL_OUTCOMES)[number]
export type UsageTable = Partial<Record<ApiName, Partial<Record<CallOutcome, number>>>>

/** Folds an HTTP status (or timeout/network) into a call outcome. */
export function outcomeOf(status: string): CallOutcome {
  if (status === 'timeout' || status === 'network') return status
  const n = Number(status)
  if (n >= 200 && n < 300) return 'ok'
  return n >= 500 ? 'server-error' : 'client-error'
}

/** Monthly counters, written behind: a crash may lose the last few milliseconds of counts. */
export const usageKeyspace: Keyspace = {
  prefix: 'usage:',
  owner: 'dingtalk/usage',
  persistence: 'behind',
  outage: 'drop',
}

const MONTH_TTL_MS = 40 * 24 * 3600_000

/**
 * Upstream calls by API and outcome: since start (memory) and this calendar month (in the store, so
 * restarts and replicas add up). The org's monthly quota is small; admins see it spent in `/status`.
 */
export class UsageLedger {
  private readonly sinceStart: UsageTable = {}

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  private month(): string {
    return new Date(this.clock()).toISOString().slice(0, 7)
  }

  record(api: ApiName, status: string): Promise<unknown> {
    const outcome = outcomeOf(status)
    const row = this.sinceStart[api] ?? {}
    row[outcome] = (row[outcome] ?? 0) + 1
    this.sinceStart[api] = row
    return this.store
      .increment(`usage:${this.month()}:${api}:${outcome}`, MONTH_TTL_MS)
      .catch(() => undefined)
  }

  started(): UsageTable {
    return structuredClone(this.sinceStart)
  }

  async thisMonth(): Promise<{ month: string; table: UsageTable }> {
    const month = this.month()
    const table: UsageTable = {}
    for (const api of API_NAMES) {
      for (const outcome of CALL_OUTCOMES) {
        const v = Number(await this.store.get(`usage:${month}:${api}:${outcome}`))
        if (v > 0) table[api] = { ...table[api], [outcome]: v }
      }
    }
    return { month, table }
  }
}
