import { randomBytes } from 'node:crypto'
import type { CommandContext } from '../../core/commands.js'
import type { SelfDelivered } from '../../core/message.js'
import type { ConferenceInfo } from '../../dingtalk/conference.js'
import type { LiveCardEngine, LiveCardSettings } from './engine.js'
import type { CardApi, LiveCard, MeetingFeed, WatchToggle } from './model.js'
import type { LiveCardStore } from './store.js'
import { cardData, stateOf } from './view.js'

export interface PresentDeps {
  readonly store: LiveCardStore
  readonly feed: MeetingFeed
  readonly cards: CardApi
  readonly watches: WatchToggle
  readonly engine: LiveCardEngine
  readonly settings: LiveCardSettings
  /** Where a watch made from the card sends its notices: the notice port's address of the message. */
  readonly address: (msg: CommandContext['msg']) => unknown
}

/** The meeting as the meeting feature looked it up. */
export interface Shown {
  readonly conference: ConferenceInfo
  readonly sharedCount: number
  readonly choice: string
}

/**
 * Answers a meeting question with a live card: recorded first (committed), then created and
 * delivered to the chat, then the meeting followed until the card's live bound. Resolves
 * undefined when the card could not be delivered (logged with why: a `success: false`, a failed
 * `deliverResults`, a 403 QpsLimit, a `param.*` error...) or should not be tried (a one-to-one
 * chat without a staff id, the quota share spent): then the meeting feature answers with
 * markdown, as without a template.
 */
export async function presentLiveCard(
  deps: PresentDeps,
  shown: Shown,
  ctx: CommandContext,
): Promise<SelfDelivered | undefined> {
  const { store, settings, cards, feed, watches } = deps
  const { msg } = ctx
  const c = shown.conference
  const single = msg.conversation.type === 'single'
  if (single && !msg.sender.staffId) return undefined
  if (await deps.engine.spentOut()) {
    ctx.log.info('live card: the quota share is spent; answering with markdown')
    return undefined
  }
  const outTrackId = `mtg-${randomBytes(12).toString('base64url')}`
  const known = await feed.state(c.conferenceId).catch(() => undefined)
  // The lookup is the freshest word; what tracking saw (the host, member counts) fills its gaps.
  const state = { ...stateOf(c), ...(known?.host ? { host: known.host } : {}) }
  const watching = await watches.isWatched(c.conferenceId, msg.conversation.id).catch(() => false)
  const data = cardData(state, {
    locale: ctx.locale,
    timeZone: ctx.timeZone,
    now: ctx.now,
    watching,
    liveHours: Math.round(settings.liveMs / 3600_000),
    shared: { count: shown.sharedCount, choice: shown.choice },
  })
  const card: LiveCard = {
    v: 1,
    outTrackId,
    conferenceId: c.conferenceId,
    conversationId: msg.conversation.id,
    conversationType: msg.conversation.type,
    chat: deps.address(msg),
    by: { staffId: msg.sender.staffId, nick: msg.sender.nick },
    locale: ctx.locale,
    timeZone: ctx.timeZone,
    sharedCount: shown.sharedCount,
    choice: shown.choice,
    createdAt: ctx.now,
    liveUntil: ctx.now + settings.liveMs,
    shown: data,
    lastSentAt: ctx.now,
    updates: 0,
    // An ended meeting's card is its summary: nothing left to update.
    ...(c.status === 1 ? { frozen: 'ended' as const } : {}),
  }
  // Recorded before it exists in the chat: a crash right after the delivery leaves a card that
  // is still kept live, not one nobody updates.
  await store.put(card)
  try {
    await cards.deliver({
      templateId: settings.templateId,
      outTrackId,
      space: {
        type: msg.conversation.type,
        conversationId: msg.conversation.id,
        staffId: msg.sender.staffId,
        ...(msg.sender.unionId ? { unionId: msg.sender.unionId } : {}),
        nick: msg.sender.nick,
      },
      data,
      callbackType: settings.callbackType,
      ...(settings.callbackRouteKey ? { callbackRouteKey: settings.callbackRouteKey } : {}),
    })
  } catch (err) {
    ctx.log.warn(
      { err: (err as Error).message, code: (err as { code?: string }).code, outTrackId },
      'interactive card not delivered; answering with the markdown card',
    )
    await store.delete(outTrackId).catch(() => undefined)
    return undefined
  } finally {
    await store.countCall().catch(() => undefined)
  }
  if (c.status !== 1) await feed.follow(c, card.liveUntil)
  ctx.log.info({ outTrackId, conferenceId: c.conferenceId, status: c.status }, 'live card sent')
  return { delivered: 'card' }
}
