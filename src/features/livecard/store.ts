import type { Keyspace } from '../../store/keyspaces.js'
import type { Store } from '../../store/store.js'
import type { LiveCard } from './model.js'

/** The live cards: they survive a restart (committed before the card counts as sent) and an outage. */
export const liveCardKeyspace: Keyspace = {
  prefix: 'livecard:',
  owner: 'features/livecard',
  persistence: 'confirmed',
  outage: 'mirror',
}

/** Update leases: one replica updates a card per period. */
export const cardLeaseKeyspace: Keyspace = {
  prefix: 'livecard-lease:',
  owner: 'features/livecard',
  persistence: 'volatile',
  outage: 'drop',
}

/** Card API calls spent this month, for the quota share (written behind: may lose the last moments). */
export const cardUsageKeyspace: Keyspace = {
  prefix: 'livecard-usage:',
  owner: 'features/livecard',
  persistence: 'behind',
  outage: 'drop',
}

export const LIVE_CARD_KEYSPACES = [liveCardKeyspace, cardLeaseKeyspace, cardUsageKeyspace]

/** A card is remembered this long after its last update (clicks on a frozen card still work). */
const KEEP_AFTER_MS = 7 * 24 * 3600_000
const MONTH_MS = 40 * 24 * 3600_000

export const cardKeys = {
  card: (outTrackId: string) => `livecard:${outTrackId}`,
  lease: (outTrackId: string) => `livecard-lease:${outTrackId}`,
  month: (month: string) => `livecard-usage:${month}`,
}

function parse(raw: string | undefined): LiveCard | undefined {
  if (raw === undefined) return undefined
  try {
    const c = JSON.parse(raw) as LiveCard
    return c && c.v === 1 && typeof c.outTrackId === 'string' ? c : undefined
  } catch {
    return undefined
  }
}

/** The live cards' reads and writes. */
export class LiveCardStore {
  constructor(
    readonly store: Store,
    private readonly clock: () => number,
  ) {}

  async get(outTrackId: string): Promise<LiveCard | undefined> {
    return parse(await this.store.get(cardKeys.card(outTrackId)))
  }

  async put(card: LiveCard): Promise<void> {
    await this.store.set(cardKeys.card(card.outTrackId), JSON.stringify(card), this.keepMs(card))
  }

  private keepMs(card: LiveCard): number {
    return Math.max(card.liveUntil - this.clock(), 0) + KEEP_AFTER_MS
  }

  /** The last parse of each card by its stored text: a pass reads every card, most unchanged. */
  private readonly parsed = new Map<string, { raw: string; card: LiveCard }>()

  /** Forgets a card (one that never reached the chat). */
  async delete(outTrackId: string): Promise<void> {
    await this.store.delete(cardKeys.card(outTrackId))
  }

  /** Every card kept, live or frozen: read-only (the same object while unchanged); change one through `change`. */
  async all(): Promise<LiveCard[]> {
    const out: LiveCard[] = []
    const seen = new Set<string>()
    for (const [key, raw] of await this.store.entries('livecard:')) {
      seen.add(key)
      const hit = this.parsed.get(key)
      let card = hit?.raw === raw ? hit.card : undefined
      if (!card) {
        card = parse(raw)
        if (card) this.parsed.set(key, { raw, card })
      }
      if (card) out.push(card)
    }
    for (const key of this.parsed.keys()) if (!seen.has(key)) this.parsed.delete(key)
    return out
  }

  /**
   * Changes a card with compare-and-set (a click and the updater racing on one card never lose
   * each other's change); `change` says whether it changed anything. Resolves the card after it.
   */
  async change(outTrackId: string, change: (c: LiveCard) => boolean): Promise<LiveCard | undefined> {
    const key = cardKeys.card(outTrackId)
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = await this.store.get(key)
      const card = parse(raw)
      if (raw === undefined || !card) return undefined
      if (!change(card)) return card
      if (await this.store.compareAndSet(key, raw, JSON.stringify(card), this.keepMs(card))) return card
    }
    throw new Error(`live card ${outTrackId}: too many concurrent changes`)
  }

  /** Takes the card's update turn for `ms` (false: another replica, or this one, has it). */
  lease(outTrackId: string, owner: string, ms: number): Promise<boolean> {
    return this.store.setIfAbsent(cardKeys.lease(outTrackId), owner, ms)
  }

  month(): string {
    return new Date(this.clock()).toISOString().slice(0, 7)
  }

  async spentThisMonth(): Promise<number> {
    return Number(await this.store.get(cardKeys.month(this.month()))) || 0
  }

  async countCall(): Promise<void> {
    await this.store.increment(cardKeys.month(this.month()), MONTH_MS)
  }
}
