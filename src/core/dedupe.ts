import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import { holdLease, type Lease } from './lease.js'

export interface DedupeOptions {
  /**
   * How long a claim outlives the instance holding it: an instance that dies stops renewing and
   * its messages can be taken over this long after. Live instances renew (on a shared store).
   */
  readonly leaseMs: number
  /** How long an answered message id is remembered (DingTalk re-pushes within about a minute). */
  readonly ttlMs: number
}

export const DEFAULT_DEDUPE: DedupeOptions = { leaseMs: 60_000, ttlMs: 15 * 60_000 }
export const DEDUPE_PREFIX = 'dedupe:'
/** The ledger: written behind (an answered message stays answered after a restart); after a Redis outage, what was answered locally is added where Redis has nothing. */
export const dedupeKeyspace: Keyspace = {
  prefix: DEDUPE_PREFIX,
  owner: 'core/dedupe',
  persistence: 'behind',
  outage: 'add',
}
export const DONE = 'done'

export type Claim = 'claimed' | 'answered' | 'elsewhere'

/**
 * The de-duplication ledger, a tiny state machine per `msgId`: absent → claimed (by one instance,
 * with a lease) → done (remembered for `ttlMs`). Whoever claims first answers. A delivery that
 * finds the message done, or claimed by this instance, is a duplicate. One that finds it claimed
 * by another instance waits: for done (a duplicate), or for the lease to lapse because that
 * instance died (then it takes the message over and answers it; DingTalk re-delivered it because
 * nobody had). A store no other instance shares (SQLite, memory) has no other live instance: a
 * claim that is not ours is a previous process's, killed while answering, and is taken over at once.
 */
export class Deduper {
  /** This instance's claim value: a restarted process is another instance. */
  private readonly owner = `claimed:${randomBytes(6).toString('hex')}`
  private readonly leases = new Map<string, Lease>()
  private stopped = false

  constructor(
    private readonly store: Store,
    private readonly opts: DedupeOptions = DEFAULT_DEDUPE,
  ) {}

  /** True when this delivery is the one that answers. */
  async claim(msgId: string): Promise<boolean> {
    return (await this.acquire(msgId)) === 'claimed'
  }

  /**
   * `claimed`: this delivery answers. `answered`: the message was answered already (by anyone).
   * `elsewhere`: someone else is answering it (this instance, or another that still holds it).
   */
  async acquire(msgId: string): Promise<Claim> {
    const key = DEDUPE_PREFIX + msgId
    const { leaseMs } = this.opts
    // A live holder renews, so a lease that has not lapsed after two rounds means it still works.
    const giveUpAt = Date.now() + 2 * leaseMs
    const pollMs = Math.max(10, Math.min(250, Math.floor(leaseMs / 5)))
    for (;;) {
      if (await this.store.setIfAbsent(key, this.owner, leaseMs)) {
        if (this.store.shared) this.leases.set(msgId, holdLease(this.store, key, this.owner, leaseMs))
        return 'claimed'
      }
      const state = await this.store.get(key)
      if (state === DONE) return 'answered'
      if (state === this.owner) return 'elsewhere'
      if (state !== undefined && !this.store.shared) {
        if (await this.store.compareAndSet(key, state, this.owner, leaseMs)) return 'claimed'
        continue
      }
      if (state !== undefined && (this.stopped || Date.now() >= giveUpAt)) return 'elsewhere'
      if (state !== undefined) await sleep(pollMs)
    }
  }

  /** Whether the message was answered already (by anyone): a redelivery owes nothing. */
  async answered(msgId: string): Promise<boolean> {
    return (await this.store.get(DEDUPE_PREFIX + msgId)) === DONE
  }

  done(msgId: string): Promise<void> {
    this.leases.get(msgId)?.release()
    this.leases.delete(msgId)
    return this.store.set(DEDUPE_PREFIX + msgId, DONE, this.opts.ttlMs)
  }

  /** Shutting down: deliveries waiting for another instance's claim stop waiting (duplicates). */
  stopWaiting(): void {
    this.stopped = true
  }

  /** After the drain: no lease is renewed any more. */
  close(): void {
    this.stopped = true
    for (const lease of this.leases.values()) lease.release()
    this.leases.clear()
  }
}
