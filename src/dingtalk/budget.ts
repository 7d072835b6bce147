import { setTimeout as sleep } from 'node:timers/promises'
import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import type { ApiName } from './errors.js'

/** One-second windows. */
export const budgetKeyspace: Keyspace = {
  prefix: 'qps:',
  owner: 'dingtalk/budget',
  persistence: 'volatile',
  outage: 'drop',
}

/**
 * Outbound budget per API, below DingTalk's limit of about 20 calls a second per API per app:
 * a call over the budget waits for the next second instead of failing with a QPS error. Counted
 * in the store, so replicas share one budget.
 */
export class ApiBudget {
  constructor(
    private readonly store: Store,
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async acquire(api: ApiName): Promise<void> {
    for (;;) {
      const now = this.clock()
      const second = Math.floor(now / 1000)
      const n = await this.store.increment(`qps:${api}:${second}`, 2000)
      if (n <= this.perSecond) return
      await sleep((second + 1) * 1000 - now + Math.floor(Math.random() * 20))
    }
  }
}
