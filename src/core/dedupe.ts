import type { Store } from '../store/store.js'

export interface DedupeOptions {
  /** How long a claim holds while the message is being answered; an instance that dies loses it. */
  readonly leaseMs: number
  /** How long an answered message id is remembered (DingTalk re-pushes within about a minute). */
  readonly ttlMs: number
}

export const DEFAULT_DEDUPE: DedupeOptions = { leaseMs: 60_000, ttlMs: 15 * 60_000 }
export const DEDUPE_PREFIX = 'dedupe:'

/**
 * The de-duplication ledger, a tiny state machine per `msgId`: absent → claimed (with a lease) →
 * done (remembered for `ttlMs`). Whoever claims first answers; everybody else acks and ignores.
 */
export class Deduper {
  constructor(
    private readonly store: Store,
    private readonly opts: DedupeOptions = DEFAULT_DEDUPE,
  ) {}

  claim(msgId: string): Promise<boolean> {
    return this.store.setIfAbsent(DEDUPE_PREFIX + msgId, 'claimed', this.opts.leaseMs)
  }

  done(msgId: string): Promise<void> {
    return this.store.set(DEDUPE_PREFIX + msgId, 'done', this.opts.ttlMs)
  }
}
