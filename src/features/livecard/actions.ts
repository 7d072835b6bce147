import type { CardActionContext, CardActionHandler, CardData } from '../../core/card-action.js'
import type { LiveCardEngine, LiveCardSettings } from './engine.js'
import type { CardApi, LiveCard, MeetingFeed, MeetingLookups, WatchToggle } from './model.js'
import type { LiveCardStore } from './store.js'
import { liveCardStrings } from './strings.js'
import { cardData, membersData, stateOf } from './view.js'

export interface ActionDeps {
  readonly store: LiveCardStore
  readonly engine: LiveCardEngine
  readonly feed: MeetingFeed
  readonly lookups: MeetingLookups
  readonly watches: WatchToggle
  readonly cards: CardApi
  readonly settings: LiveCardSettings
  readonly clock: () => number
}

/**
 * How long a click's work may take before its answer goes without it: the transport answers
 * DingTalk within 1.5 s of 2, so the work's own share is less. Work that takes longer goes on and
 * reaches the card as an update.
 */
export const INLINE_MS = 1000

const LATE = Symbol('late')

async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The buttons: Refresh (a fresh lookup, and live again when the card had stopped), Members (who
 * DingTalk lists), Watch / Unwatch (the chat's watch of the meeting). Each answers with what the
 * card shows now when its work is done within `INLINE_MS`; otherwise with a "working on it" note,
 * and the result follows as an update.
 */
export function liveCardActions(deps: ActionDeps): Record<string, CardActionHandler> {
  const { store, engine } = deps

  /** Runs `work` (which resolves the card's new data); late: a note now, the data as an update. */
  const answer = async (
    card: LiveCard,
    ctx: CardActionContext,
    pending: CardData,
    work: () => Promise<CardData>,
  ): Promise<CardData> => {
    const running = work()
    const data = await withinDeadline(running, INLINE_MS)
    if (data !== LATE) {
      await remember(card.outTrackId, data)
      return data
    }
    engine.background(async () => {
      const later = await running
      await deps.cards.update(card.outTrackId, later)
      await store.countCall()
      await remember(card.outTrackId, later)
      ctx.log.info({ outTrackId: card.outTrackId }, 'live card: a slow click landed as an update')
    })
    return pending
  }
  // What a click answered is on the card now: the next update counts its bound from here.
  const remember = (outTrackId: string, data: CardData) =>
    store.change(outTrackId, (c) => {
      c.shown = { ...c.shown, ...data }
      c.lastSentAt = deps.clock()
      return true
    })

  const cardOf = async (ctx: CardActionContext): Promise<LiveCard | undefined> => {
    const card = await store.get(ctx.action.outTrackId)
    if (!card) ctx.log.info('card action on a card the bot does not keep (expired or another app)')
    return card
  }

  const refresh: CardActionHandler = async (ctx) => {
    const card = await cardOf(ctx)
    if (!card) return undefined
    const t = liveCardStrings(card.locale)
    return answer(card, ctx, { note: t.refreshing }, async () => {
      const info = await deps.lookups.byId(card.conferenceId)
      const now = deps.clock()
      const revive = info.status !== 1 && card.frozen !== undefined && !(await engine.spentOut())
      if (info.status !== 1 && (revive || !card.frozen)) {
        await deps.feed.follow(info, now + deps.settings.liveMs)
        await deps.feed.fold(info)
      }
      if (revive) {
        await store.change(card.outTrackId, (c) => {
          c.frozen = undefined
          c.liveUntil = now + deps.settings.liveMs
          return true
        })
        ctx.log.info({ outTrackId: card.outTrackId }, 'live card live again after Refresh')
      }
      const tracked = info.status !== 1 ? await deps.feed.state(card.conferenceId) : undefined
      const state = tracked ? { ...tracked, ...stateOf(info), host: tracked.host } : stateOf(info)
      const watching = await deps.watches.isWatched(card.conferenceId, card.conversationId)
      const stillStopped = card.frozen && !revive && info.status !== 1 ? card.frozen : undefined
      const data = cardData(state, {
        locale: card.locale,
        timeZone: card.timeZone,
        now,
        watching,
        liveHours: Math.round(deps.settings.liveMs / 3600_000),
        shared: { count: card.sharedCount, choice: card.choice },
        stopped: stillStopped === 'expired' || stillStopped === 'quota' ? stillStopped : undefined,
      })
      return data
    })
  }

  const members: CardActionHandler = async (ctx) => {
    const card = await cardOf(ctx)
    if (!card) return undefined
    const t = liveCardStrings(card.locale)
    return answer(card, ctx, { members: t.membersLoading }, async () =>
      membersData(await deps.lookups.members(card.conferenceId), card.locale),
    )
  }

  const watchState = (card: LiveCard, watching: boolean): CardData => {
    const t = liveCardStrings(card.locale)
    return {
      watching: watching ? 'true' : 'false',
      watchAction: watching ? 'unwatch' : 'watch',
      watchLabel: watching ? t.unwatchLabel : t.watchLabel,
    }
  }

  const watch: CardActionHandler = async (ctx) => {
    const card = await cardOf(ctx)
    if (!card) return undefined
    return answer(card, ctx, watchState(card, true), async () => {
      const conference = await deps.lookups.byId(card.conferenceId)
      const userId = ctx.action.userId
      const result = await deps.watches.add({
        conference,
        sharedCount: card.sharedCount,
        choice: card.choice,
        chat: card.chat,
        conversationId: card.conversationId,
        by: { staffId: userId, nick: userId === card.by.staffId ? card.by.nick : userId },
        locale: card.locale,
        timeZone: card.timeZone,
        now: deps.clock(),
        log: ctx.log,
      })
      const watching = result.added || (await deps.watches.isWatched(card.conferenceId, card.conversationId))
      if (watching) return watchState(card, true)
      // Not added (ended, the chat's cap...): the first line of the reason, as the note.
      const why = result.text
        .split('\n')[0]
        ?.replace(/[*_`>#]/g, '')
        .trim()
      return { ...watchState(card, false), note: why || liveCardStrings(card.locale).watchFailed }
    })
  }

  const unwatch: CardActionHandler = async (ctx) => {
    const card = await cardOf(ctx)
    if (!card) return undefined
    return answer(card, ctx, watchState(card, false), async () => {
      await deps.watches.remove(card.conferenceId, card.conversationId)
      ctx.log.info({ conferenceId: card.conferenceId, by: ctx.action.userId }, 'watch removed from a card')
      return watchState(card, false)
    })
  }

  return { refresh, members, watch, unwatch }
}
