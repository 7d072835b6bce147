import { randomBytes } from 'node:crypto'
import { BackgroundLoop } from '../../core/background-loop.js'
import type { Logger } from '../../logger.js'
import type { CardApi, LiveCard, LiveState, MeetingFeed, WatchToggle } from './model.js'
import type { LiveCardStore } from './store.js'
import { cardData, changedKeys } from './view.js'

/** The knobs (`DINGTALK_CARD_TEMPLATE_ID`, `BOT_CARD_*`, `BOT_MONTHLY_API_QUOTA`). */
export interface LiveCardSettings {
  readonly templateId: string
  /** `BOT_CARD_UPDATE_MS`: at most one update per card this often. */
  readonly updateMs: number
  /** `BOT_CARD_LIVE_HOURS`, in ms: how long after it was sent a card stays live. */
  readonly liveMs: number
  readonly monthlyQuota: number
  /** `BOT_CARD_QUOTA_SHARE`: the share of the monthly quota card calls may spend. */
  readonly quotaShare: number
  /** STREAM with a Stream connection (clicks come as frames), else HTTP. */
  readonly callbackType: 'STREAM' | 'HTTP'
  readonly callbackRouteKey?: string
}

/** A running meeting's elapsed time alone refreshes a card this often (every change sooner). */
export const CLOCK_REFRESH_MS = 10 * 60_000

export interface LiveCardEngineDeps {
  readonly store: LiveCardStore
  readonly feed: MeetingFeed
  readonly cards: CardApi
  readonly watches: WatchToggle
  readonly settings: LiveCardSettings
  readonly clock: () => number
  readonly log: Logger
}

/** How a card is doing after a pass over it, for tests and the bench. */
export type PassResult = 'updated' | 'frozen' | 'unchanged' | 'waiting' | 'skipped' | 'failed'

/**
 * Keeps every live card current: each pass reads what the meeting's tracking knows (events and
 * polls, shared by every card of the meeting), and updates a card by key when what it shows
 * changed, at most once per `updateMs` (its elapsed time alone: every `CLOCK_REFRESH_MS`). One
 * replica updates a card per period (a lease). A card freezes with the summary when its meeting
 * ended, with a note when it is past its live bound or the month's quota share is spent.
 */
export class LiveCardEngine {
  readonly owner = randomBytes(6).toString('hex')
  private readonly loop: BackgroundLoop

  constructor(private readonly deps: LiveCardEngineDeps) {
    this.loop = new BackgroundLoop({
      pass: () => this.pass(),
      everyMs: () => this.tickMs,
      log: deps.log,
      name: 'live card',
    })
  }

  get budget(): number {
    return Math.floor(this.deps.settings.monthlyQuota * this.deps.settings.quotaShare)
  }

  /** How often passes run: a quarter of the update bound, 0.25 to 5 s. */
  get tickMs(): number {
    return Math.min(5000, Math.max(250, Math.floor(this.deps.settings.updateMs / 4)))
  }

  start(): void {
    this.loop.start()
  }

  stop(): Promise<void> {
    return this.loop.stop()
  }

  /** Runs `work` in the background (a click's slow part), counted for `stop`. */
  background(work: () => Promise<unknown>): void {
    this.loop.background(work)
  }

  async spentOut(): Promise<boolean> {
    return (await this.deps.store.spentThisMonth()) >= this.budget
  }

  /** One pass over every live card. Never overlaps. */
  tick(): Promise<void> {
    return this.loop.tick()
  }

  private async pass(): Promise<void> {
    let cards: LiveCard[]
    try {
      cards = (await this.deps.store.all()).filter((c) => !c.frozen)
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'live card: could not read the cards')
      return
    }
    // One read per meeting, however many cards show it.
    const states = new Map<string, Promise<LiveState | undefined>>()
    const watchers = new Map<string, Promise<ReadonlySet<string>>>()
    const spent = await this.spentOut()
    const frozen = new Set<string>()
    for (const card of cards) {
      if (this.loop.stopped) return
      const id = card.conferenceId
      if (!states.has(id)) {
        states.set(
          id,
          this.deps.feed.state(id).catch(() => undefined),
        )
        watchers.set(
          id,
          this.deps.watches.chatsWatching(id).catch(() => new Set<string>()),
        )
      }
      const watching = (await watchers.get(id))?.has(card.conversationId) ?? false
      const result = await this.refresh(card, await states.get(id), { spent, watching, defer: true })
      if (result === 'frozen') frozen.add(id)
    }
    // Once per pass, not per card: at a meeting's end all its cards freeze in the same pass.
    if (frozen.size > 0) await this.unfollowUnused(frozen)
  }

  /**
   * Brings one card up to date with `state`; `force` (a Refresh) skips the update bound and the
   * lease. Freezing unfollows the meeting once no other live card shows it.
   */
  async refresh(
    card: LiveCard,
    state: LiveState | undefined,
    opts: { spent?: boolean; force?: boolean; watching?: boolean; defer?: boolean } = {},
  ): Promise<PassResult> {
    const { settings, clock, store, log } = this.deps
    if (!state || card.frozen) return 'skipped'
    const now = clock()
    const spent = opts.spent ?? (await this.spentOut())
    // An ended meeting waits for its summary (the watch feature's final fetch) before freezing.
    if (state.status === 1 && !state.final && !opts.force) return 'waiting'
    const stop: LiveCard['frozen'] =
      state.status === 1 ? 'ended' : now >= card.liveUntil ? 'expired' : spent ? 'quota' : undefined
    const watching = await this.deps.watches
      .isWatched(card.conferenceId, card.conversationId)
      .catch(() => false)
    const view = {
      locale: card.locale,
      timeZone: card.timeZone,
      watching,
      liveHours: Math.round(settings.liveMs / 3600_000),
      shared: { count: card.sharedCount, choice: card.choice },
      stopped: stop === 'expired' || stop === 'quota' ? stop : undefined,
    }
    const data = cardData(state, { ...view, now })
    const changed = changedKeys(card.shown, data)
    if (changed.length === 0 && !stop) return 'unchanged'
    const since = now - card.lastSentAt
    if (!opts.force && !stop) {
      if (since < settings.updateMs) return 'waiting'
      // Only the clock moved (the same data as of the last send, but for its elapsed time).
      const clockOnly =
        changedKeys(card.shown, cardData(state, { ...view, now: card.lastSentAt })).length === 0
      if (clockOnly && since < CLOCK_REFRESH_MS) return 'waiting'
    }
    if (!opts.force && !(await store.lease(card.outTrackId, this.owner, settings.updateMs))) return 'skipped'
    const send: Record<string, string> = { note: data.note as string }
    for (const k of changed) send[k] = data[k] as string
    // The bound counts from the send itself, not from the start of this card's turn.
    const sentAt = clock()
    try {
      await this.deps.cards.update(card.outTrackId, send)
    } catch (err) {
      const code = (err as { code?: string }).code
      log.warn({ outTrackId: card.outTrackId, err: (err as Error).message, code }, 'live card: update failed')
      // The card is gone (recalled, deleted): nothing left to keep live.
      if (code === 'param.cardNotExist') await this.freeze(card.outTrackId, 'expired')
      return 'failed'
    } finally {
      await store.countCall().catch(() => undefined)
    }
    await store.change(card.outTrackId, (c) => {
      c.shown = { ...c.shown, ...send }
      c.lastSentAt = sentAt
      c.updates++
      if (stop) c.frozen = stop
      return true
    })
    if (stop) {
      if (!opts.defer) await this.unfollowUnused(new Set([card.conferenceId]))
      log.info({ outTrackId: card.outTrackId, reason: stop, updates: card.updates + 1 }, 'live card frozen')
      return 'frozen'
    }
    return 'updated'
  }

  async freeze(outTrackId: string, why: NonNullable<LiveCard['frozen']>): Promise<void> {
    const card = await this.deps.store.change(outTrackId, (c) => {
      if (c.frozen) return false
      c.frozen = why
      return true
    })
    if (card) await this.unfollowUnused(new Set([card.conferenceId]))
  }

  /** A meeting's tracking ends once no live card shows it (its watches keep theirs). */
  async unfollowUnused(conferenceIds: ReadonlySet<string>): Promise<void> {
    const shown = new Set((await this.deps.store.all()).filter((c) => !c.frozen).map((c) => c.conferenceId))
    for (const id of conferenceIds) if (!shown.has(id)) await this.deps.feed.unfollow(id)
  }
}
