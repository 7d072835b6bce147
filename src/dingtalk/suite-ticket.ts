import type { Keyspace } from '../store/keyspaces.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'

/** The store key of the latest suite ticket (namespaced by app like every key). Its value is sealed. */
export const SUITE_TICKET_KEY = 'isv-ticket:latest'
/**
 * Without a ticket no org gets a token, and DingTalk pushes the next one only hours later: the
 * ticket must survive a crash (`confirmed`) and a Redis outage (`mirror`).
 */
export const suiteTicketKeyspace: Keyspace = {
  prefix: 'isv-ticket:',
  owner: 'dingtalk/suite-ticket',
  persistence: 'confirmed',
  outage: 'mirror',
}

/**
 * How long a stored ticket is kept. DingTalk pushes one about every 5 h; how long one stays valid is
 * not documented, so a week-old ticket is taken as surely stale rather than kept forever.
 */
export const SUITE_TICKET_TTL_MS = 7 * 24 * 3600_000

export interface SuiteTicket {
  readonly ticket: string
  /** When DingTalk issued it (the event's `bornAt`), epoch ms: the newest wins. */
  readonly at: number
}

export interface SuiteTicketsOptions {
  readonly store: Store
  readonly suiteKey: string
  readonly suiteSecret: string
}

/**
 * The ISV app's latest suite ticket, kept sealed in the store so that every replica uses the same
 * one. Pushes arrive over two channels and may be re-pushed late: a ticket older than the stored
 * one never replaces it. Never log a ticket.
 */
export class SuiteTickets {
  private readonly seal: Sealer

  constructor(private readonly opts: SuiteTicketsOptions) {
    // Whoever can read the store but does not hold the suite secret cannot use the ticket.
    this.seal = new Sealer(opts.suiteSecret, opts.suiteKey, 'suite-ticket')
  }

  /** Keeps `ticket` unless a newer one is stored. Resolves true when it is now the latest. */
  async save(ticket: string, at: number): Promise<boolean> {
    const store = this.opts.store
    const sealed = this.seal.seal(JSON.stringify({ ticket, at } satisfies SuiteTicket))
    // Compare-and-set so that two replicas saving at once cannot put the older one last. Each lost
    // race means another save went through, and stored tickets only get newer: few rounds suffice.
    for (let attempt = 0; attempt < 50; attempt++) {
      const raw = await store.get(SUITE_TICKET_KEY)
      const current = raw === undefined ? undefined : this.parse(raw)
      if (current && (current.at > at || (current.at === at && current.ticket === ticket))) {
        return current.ticket === ticket
      }
      const written =
        raw === undefined
          ? await store.setIfAbsent(SUITE_TICKET_KEY, sealed, SUITE_TICKET_TTL_MS)
          : await store.compareAndSet(SUITE_TICKET_KEY, raw, sealed, SUITE_TICKET_TTL_MS)
      if (written) return true
    }
    // Thrown, not dropped: the event fails and DingTalk pushes it again.
    throw new Error('suite ticket not saved: the stored value kept changing')
  }

  /** The latest ticket, or undefined before the first one (or when the stored value does not open). */
  async latest(): Promise<SuiteTicket | undefined> {
    const raw = await this.opts.store.get(SUITE_TICKET_KEY)
    return raw === undefined ? undefined : this.parse(raw)
  }

  private parse(raw: string): SuiteTicket | undefined {
    const plain = this.seal.open(raw)
    if (plain === undefined) return undefined
    try {
      const v = JSON.parse(plain) as Partial<SuiteTicket>
      return typeof v.ticket === 'string' && v.ticket && typeof v.at === 'number'
        ? { ticket: v.ticket, at: v.at }
        : undefined
    } catch {
      return undefined
    }
  }
}
