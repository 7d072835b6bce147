import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'

export interface RateLimitOptions {
  /** Commands one user may send per window. */
  readonly limit: number
  readonly windowMs: number
}

/** Minute windows: not worth keeping across a restart or an outage. */
export const rateKeyspace: Keyspace = {
  prefix: 'rate:',
  owner: 'core/rate-limit',
  persistence: 'volatile',
  outage: 'drop',
}

export type RateVerdict = 'allow' | 'refuse' | 'ignore'

/**
 * Per-user command rate limit on fixed windows, counted in the store (so replicas share it).
 * The first command over the limit is refused with a reply; later ones in the window are ignored
 * (and counted), so a flood cannot make the bot flood the chat.
 */
export class UserRateLimiter {
  constructor(
    private readonly store: Store,
    private readonly opts: RateLimitOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  async check(userKey: string): Promise<RateVerdict> {
    const window = Math.floor(this.clock() / this.opts.windowMs)
    const n = await this.store.increment(`rate:user:${userKey}:${window}`, this.opts.windowMs)
    if (n <= this.opts.limit) return 'allow'
    return n === this.opts.limit + 1 ? 'refuse' : 'ignore'
  }
}
