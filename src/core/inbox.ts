import type { Logger } from '../logger.js'
import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import type { InboundMessage } from './message.js'

/**
 * What the bot owes an answer: a message is recorded here before its transport tells DingTalk
 * "received" (the Stream ack, an HTTP `empty`), and leaves once it was answered or its failure
 * was logged. A write resolves once committed (SQLite) or in Redis.
 */
export const inboxKeyspace: Keyspace = {
  prefix: 'inbox:',
  owner: 'core/inbox',
  persistence: 'confirmed',
  // Kept locally through a Redis outage and added back: the shared entry (if any) wins.
  outage: 'add',
}

/** One key per running instance, renewed while it runs: an inbox entry whose owner has none is an orphan. */
export const livenessKeyspace: Keyspace = {
  prefix: 'live:',
  owner: 'core/inbox',
  persistence: 'volatile',
  outage: 'drop',
}

/** Seals the messages at rest: they carry the chat's session webhook, a bearer URL. */
export interface Codec {
  seal(plain: string): string
  /** The plain text, or undefined when it was not sealed with this key (another app, tampered). */
  open(sealed: string): string | undefined
}

export interface InboxOptions {
  /** This process; a restarted process is another owner. */
  readonly owner: string
  readonly codec: Codec
  readonly log: Logger
  /** How long an owner counts as alive after its last renewal (`BOT_LEASE_MS`). */
  readonly leaseMs: number
  /** DingTalk's channel SDK drops robot messages older than this (30 min); so does the bot. */
  readonly maxAgeMs?: number
  readonly clock?: () => number
}

/** The stored form: owner, when DingTalk sent it, the sealed message. */
interface Entry {
  readonly o: string
  readonly t: number
  readonly m: string
}

export const MAX_AGE_MS = 30 * 60_000

const DONE = Promise.resolve()

/** What a walk over the inbox found. */
export interface Orphans {
  /** Taken over by this instance, oldest first: to be answered now. */
  readonly messages: InboundMessage[]
  /** Dropped as too old to answer (logged each). */
  readonly tooOld: number
  /** Of `messages`, this instance's own, handed over again (`retry`), not taken from a dead owner. */
  readonly retried: number
}

export class Inbox {
  private readonly clock: () => number
  private readonly maxAgeMs: number
  private renewal: NodeJS.Timeout | undefined
  /** The entries this instance holds: kept by it or taken over; the others are not its to release. */
  private readonly owned = new Set<string>()
  /** Entries of this instance's that were not handled when handed over: the next walk hands them over again. */
  private readonly again = new Set<string>()
  /** Told when an entry waits for another walk (`retry`): the recovery schedules one. */
  onRetry: (() => void) | undefined
  /** Deletes sent to the store and not yet through (awaited before it closes). */
  private readonly pending = new Set<Promise<void>>()
  /** Since start: messages taken over from a dead owner, and those dropped as too old. */
  taken = 0
  tooOld = 0
  /** Since start: entries of this instance's handed over again (`retry`). */
  retried = 0

  constructor(
    private readonly store: Store,
    private readonly opts: InboxOptions,
  ) {
    this.clock = opts.clock ?? Date.now
    this.maxAgeMs = opts.maxAgeMs ?? MAX_AGE_MS
  }

  private key(msgId: string): string {
    return inboxKeyspace.prefix + msgId
  }

  /**
   * Records `msg` as owed an answer by this instance; resolves once the record is committed.
   * False when it is already recorded (a redelivery of a message being answered): the caller
   * must not hand it over again.
   */
  async keep(msg: InboundMessage): Promise<boolean> {
    const entry: Entry = { o: this.opts.owner, t: msg.sentAt, m: this.opts.codec.seal(JSON.stringify(msg)) }
    const kept = await this.store.setIfAbsent(this.key(msg.id), JSON.stringify(entry), this.ttl(msg.sentAt))
    if (kept) this.owned.add(msg.id)
    return kept
  }

  /** An entry expires a minute after nobody could answer its message any more. */
  private ttl(sentAt: number): number {
    return Math.max(60_000, sentAt + this.maxAgeMs - this.clock() + 60_000)
  }

  /**
   * The message left: answered, or its failure logged. The delete goes to the store at once: on
   * SQLite it joins the batch committed once the current task's microtasks are through (with the
   * "done" marker the dedupe step wrote just before it); on Redis it follows "done" on the same
   * connection. This is the duplicate window's own part:
   * a kill before this commit answers the message again (docs/reliability.md). Measured with the
   * crash suite: releases gathered until the end of the event loop's poll phase (`setImmediate`)
   * left 33 of 1,443 messages in flight answered twice.
   */
  release(msgId: string): Promise<void> {
    // Most messages were never kept (a fast HTTP answer): nothing to delete, no store call.
    if (!this.owned.delete(msgId)) return DONE
    this.again.delete(msgId)
    const released = this.store.delete(this.key(msgId))
    this.pending.add(released)
    void released.then(
      () => this.pending.delete(released),
      () => this.pending.delete(released),
    )
    return released
  }

  /**
   * The message was not handled when handed over (the de-dup ledger could not answer, or someone
   * else held its claim): it stays in the inbox, and the next walk (`orphans`) hands it over
   * again, where it is answered, or found answered and released. Without this, an entry this live
   * instance holds would wait for the instance to die before anyone looked at it again.
   */
  retry(msgId: string): void {
    if (!this.owned.has(msgId)) return
    this.again.add(msgId)
    this.onRetry?.()
  }

  /** Resolves once the releases asked for so far have reached the store (before it closes). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending])
  }

  /** Starts saying "this owner is alive" (renewed every third of the lease); idempotent. */
  startLiveness(): void {
    if (this.renewal) return
    const beat = () =>
      this.store.set(livenessKeyspace.prefix + this.opts.owner, '1', this.opts.leaseMs).catch(() => undefined)
    void beat()
    this.renewal = setInterval(beat, Math.max(10, Math.floor(this.opts.leaseMs / 3)))
    this.renewal.unref()
  }

  stop(): void {
    clearInterval(this.renewal)
    this.renewal = undefined
  }

  /**
   * Takes over every entry whose owner is gone (a previous process of this one after a crash, a
   * replica that died): they become this owner's, oldest first. Entries too old to answer are
   * dropped and logged; one that does not open (another app's key) is left alone and logged.
   * Entries of this owner's that wait for another try (`retry`) are handed over again too.
   */
  async orphans(): Promise<Orphans> {
    const now = this.clock()
    const mine: Array<{ msg: InboundMessage; at: number }> = []
    let tooOld = 0
    let retried = 0
    const alive = new Map<string, boolean>()
    const again = new Set(this.again)
    this.again.clear()
    for (const [key, raw] of await this.store.entries(inboxKeyspace.prefix)) {
      const entry = parse(raw)
      if (!entry) continue
      const msgId = key.slice(inboxKeyspace.prefix.length)
      const ours = entry.o === this.opts.owner
      if (ours ? !again.has(msgId) : await this.isAlive(entry.o, alive)) continue
      if (now - entry.t > this.maxAgeMs) {
        if (await this.store.compareAndDelete(key, raw)) {
          tooOld++
          this.opts.log.warn(
            { msgId, ageMs: now - entry.t },
            'message is too old to answer (DingTalk drops robot messages after 30 minutes); dropped',
          )
        }
        continue
      }
      const plain = this.opts.codec.open(entry.m)
      if (plain === undefined) {
        this.opts.log.error({ msgId }, 'inbox entry does not open with this app key; left alone')
        continue
      }
      // Another instance may be taking it over at the same moment: whoever swaps the owner wins.
      const taken = JSON.stringify({ ...entry, o: this.opts.owner })
      if (ours || (await this.store.compareAndSet(key, raw, taken, this.ttl(entry.t)))) {
        this.owned.add(msgId)
        mine.push({ msg: JSON.parse(plain) as InboundMessage, at: entry.t })
        if (ours) retried++
      }
    }
    mine.sort((a, b) => a.at - b.at)
    this.taken += mine.length - retried
    this.retried += retried
    this.tooOld += tooOld
    return { messages: mine.map((m) => m.msg), tooOld, retried }
  }

  /** Whether `owner` still says it is alive; asked once per owner and walk. */
  private async isAlive(owner: string, known: Map<string, boolean>): Promise<boolean> {
    let live = known.get(owner)
    if (live === undefined) {
      live = (await this.store.get(livenessKeyspace.prefix + owner)) !== undefined
      known.set(owner, live)
    }
    return live
  }
}

function parse(raw: string): Entry | undefined {
  try {
    const e = JSON.parse(raw) as Partial<Entry>
    return typeof e.o === 'string' && typeof e.t === 'number' && typeof e.m === 'string'
      ? (e as Entry)
      : undefined
  } catch {
    return undefined
  }
}
