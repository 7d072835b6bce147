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
/**
 * The platform events' ledger (`eventId`s: `Deduper.forKeyspace`), apart from the messages' so
 * the two kinds of id can never collide; kept like the messages' ledger.
 */
export const eventDedupeKeyspace: Keyspace = {
  prefix: 'dedupe-event:',
  owner: 'core/dedupe (events)',
  persistence: 'behind',
  outage: 'add',
}
/**
 * The card clicks' ledger (ids the transports derive from a click's content), apart from the
 * others. Its own `Deduper` remembers a done click only for the click window (`app/pipeline.ts`):
 * a re-push, or the same button pressed twice by the same person in that window, runs once.
 */
export const cardDedupeKeyspace: Keyspace = {
  prefix: 'dedupe-card:',
  owner: 'core/dedupe (card clicks)',
  persistence: 'behind',
  outage: 'add',
}
export const DONE = 'done'

export type Claim = 'claimed' | 'answered' | 'elsewhere'

/** What the ledgers of one instance share: who they are, the leases they hold, whether they stop. */
interface Holder {
  /** This instance's claim value: a restarted process is another instance. */
  readonly owner: string
  /** By key (prefix included). */
  readonly leases: Map<string, Lease>
  stopped: boolean
}

/**
 * The de-duplication ledger, a tiny state machine per `msgId`: absent → claimed (by one instance,
 * with a lease) → done (remembered for `ttlMs`). Whoever claims first answers. A delivery that
 * finds the message done, or claimed by this instance, is a duplicate. One that finds it claimed
 * by another instance waits: for done (a duplicate), or for the lease to lapse because that
 * instance died (then it takes the message over and answers it; DingTalk re-delivered it because
 * nobody had). A store no other instance shares (SQLite, memory) has no other live instance: a
 * claim that is not ours is a previous process's, killed while answering, and is taken over at once.
 * A claim can also be given up (`forget`): the item was not handled and may be claimed again.
 */
export class Deduper {
  private readonly holder: Holder

  constructor(
    private readonly store: Store,
    private readonly opts: DedupeOptions = DEFAULT_DEDUPE,
    private readonly prefix: string = DEDUPE_PREFIX,
    holder?: Holder,
  ) {
    this.holder = holder ?? {
      owner: `claimed:${randomBytes(6).toString('hex')}`,
      leases: new Map(),
      stopped: false,
    }
  }

  /**
   * The same ledger for ids of another kind, in the keyspace its owner declares (platform events:
   * `eventDedupeKeyspace`): the same instance, leases and options; stopping or closing either
   * stops or closes both.
   */
  forKeyspace(space: Keyspace): Deduper {
    return new Deduper(this.store, this.opts, space.prefix, this.holder)
  }

  /** True when this delivery is the one that answers. */
  async claim(msgId: string): Promise<boolean> {
    return (await this.acquire(msgId)) === 'claimed'
  }

  /**
   * `claimed`: this delivery answers. `answered`: the message was answered already (by anyone).
   * `elsewhere`: someone else is answering it (this instance, or another that still holds it).
   * With `waitForOwn`, a claim this instance holds is waited for like another instance's (for
   * items whose failure is forgotten, so that a copy can take over what the first did not do).
   */
  async acquire(msgId: string, opts: { readonly waitForOwn?: boolean } = {}): Promise<Claim> {
    const key = this.prefix + msgId
    const { leaseMs } = this.opts
    const { owner } = this.holder
    // A live holder renews, so a lease that has not lapsed after two rounds means it still works.
    const giveUpAt = Date.now() + 2 * leaseMs
    const pollMs = Math.max(10, Math.min(250, Math.floor(leaseMs / 5)))
    for (;;) {
      if (await this.store.setIfAbsent(key, owner, leaseMs)) {
        if (this.store.shared) this.holder.leases.set(key, holdLease(this.store, key, owner, leaseMs))
        return 'claimed'
      }
      const state = await this.store.get(key)
      if (state === DONE) return 'answered'
      const ours = state === owner
      if (ours && !opts.waitForOwn) return 'elsewhere'
      if (state !== undefined && !ours && !this.store.shared) {
        if (await this.store.compareAndSet(key, state, owner, leaseMs)) return 'claimed'
        continue
      }
      if (state !== undefined && (this.holder.stopped || Date.now() >= giveUpAt)) return 'elsewhere'
      if (state !== undefined) await sleep(pollMs)
    }
  }

  /** Whether the message was answered already (by anyone): a redelivery owes nothing. */
  async answered(msgId: string): Promise<boolean> {
    return (await this.store.get(this.prefix + msgId)) === DONE
  }

  done(msgId: string): Promise<void> {
    const key = this.prefix + msgId
    this.release(key)
    return this.store.set(key, DONE, this.opts.ttlMs)
  }

  /** Gives up this instance's claim: the item was not handled; the next delivery claims it afresh. */
  async forget(msgId: string): Promise<void> {
    const key = this.prefix + msgId
    this.release(key)
    await this.store.compareAndDelete(key, this.holder.owner)
  }

  /** Shutting down: deliveries waiting for another instance's claim stop waiting (duplicates). */
  stopWaiting(): void {
    this.holder.stopped = true
  }

  /** After the drain: no lease is renewed any more. */
  close(): void {
    this.holder.stopped = true
    for (const lease of this.holder.leases.values()) lease.release()
    this.holder.leases.clear()
  }

  private release(key: string): void {
    this.holder.leases.get(key)?.release()
    this.holder.leases.delete(key)
  }
}
