import { formatDuration, formatTime } from '../../cards/format.js'
import { formatRoomCode, httpLink } from '../../cards/links.js'
import type { Locale } from '../../core/locale.js'
import type { Reply } from '../../core/message.js'
import { escapeMarkdown, type Mention, mentionOf, withMention } from '../../core/reply.js'
import type { ConferenceInfo } from '../../dingtalk/conference.js'
import type { MeetingLookup } from './service.js'
import { meetingStrings as strings } from './strings.js'

export interface CardContext {
  readonly locale: Locale
  readonly timeZone: string
  /** The clock is passed in: cards are pure and snapshot-testable. */
  readonly now: number
  /** Who asked, in a group chat: the card @-mentions them. */
  readonly mention?: Mention
}

export const STATUS_ICON = ['🕒', '⚪', '🟢'] as const

function formatCount(n: number | undefined, locale: Locale): string {
  return n === undefined || !Number.isFinite(n) ? strings(locale).unknown : String(n)
}

/** How long it ran, runs or until it starts: the card's Duration line, also on the members card. */
export function durationLine(c: ConferenceInfo, ctx: CardContext): string | undefined {
  const t = strings(ctx.locale)
  const start = c.startTime
  if (c.status === 1) {
    const ms =
      c.confDuration ?? (start !== undefined && c.endTime !== undefined ? c.endTime - start : undefined)
    return ms === undefined ? undefined : formatDuration(ms, ctx.locale)
  }
  if (start === undefined) return undefined
  const delta = ctx.now - start
  if (c.status === 2) {
    return delta < 60_000 ? t.justNow : t.runningFor(formatDuration(delta, ctx.locale, 'minutes'))
  }
  return delta < 0
    ? t.startsIn(formatDuration(-delta + 59_999, ctx.locale, 'minutes'))
    : t.shouldHaveStarted(formatDuration(delta, ctx.locale, 'minutes'))
}

function participantsLine(c: ConferenceInfo, locale: Locale): string {
  const t = strings(locale)
  const n = (v: number | undefined) => formatCount(v, locale)
  const parts: string[] = []
  if (c.status === 2) parts.push(t.inMeetingNow(n(c.activeNum)))
  if (c.status !== 0) parts.push(t.joinedTotal(n(c.attendNum)))
  parts.push(t.invited(n(c.invitedNum)))
  return parts.join(' · ')
}

/** A join link we are willing to put behind a button: http(s) only. */
function joinUrl(c: ConferenceInfo): string | undefined {
  return c.status === 1 ? undefined : httpLink(c.externalLinkUrl)
}

const field = (label: string, value: string) => `- **${label}:** ${value}`

/** Everything on a card but the duration and the mention: fixed for one cached conference. */
interface CardParts {
  readonly title: string
  /** Title, status, creator, start, end. */
  readonly head: string
  /** Participants, room code, recording, shared-room note. */
  readonly tail: string
  readonly url: string | undefined
}

function cardParts(lookup: MeetingLookup, ctx: CardContext): CardParts {
  const c = lookup.conference
  const t = strings(ctx.locale)
  const status = (c.status in STATUS_ICON ? c.status : 0) as 0 | 1 | 2
  const title = escapeMarkdown(c.title ?? '') || t.untitled
  const head = [`#### ${title}`, field(t.status, `${STATUS_ICON[status]} ${t.statusLabel[status]}`)]
  if (c.creatorNick) head.push(field(t.creator, escapeMarkdown(c.creatorNick)))
  if (c.startTime !== undefined) head.push(field(t.start, formatTime(c.startTime, ctx.locale, ctx.timeZone)))
  if (c.status === 1 && c.endTime !== undefined) {
    head.push(field(t.end, formatTime(c.endTime, ctx.locale, ctx.timeZone, c.startTime)))
  }
  const tail = [field(t.participants, participantsLine(c, ctx.locale))]
  if (c.roomCode) tail.push(field(t.roomCode, formatRoomCode(c.roomCode)))
  const rec = c.cloudRecordStatus
  if (rec !== undefined && rec >= 1 && rec <= 3)
    tail.push(field(t.recording, t.recordingLabel[rec] as string))
  if (lookup.sharedCount > 1 && lookup.choice !== 'byId') {
    tail.push('', `> ${t.shared(lookup.sharedCount, t.choice[lookup.choice] as string)}`)
  }
  return {
    title: `${c.title ?? t.untitled} · ${t.statusLabel[status]}`,
    head: head.join('\n'),
    tail: tail.join('\n'),
    url: joinUrl(c),
  }
}

/**
 * The parts by conference object: the meeting service hands out the same (read-only) object for
 * as long as its cache entry lives, and every question about a hot meeting renders the same
 * parts (profiled: URL parsing, escaping and joining were most of a card's cost). Weak keys: a
 * conference that leaves the cache takes its parts with it.
 */
const partsCache = new WeakMap<ConferenceInfo, Map<string, CardParts>>()

function cachedParts(lookup: MeetingLookup, ctx: CardContext): CardParts {
  const key = `${ctx.locale}|${ctx.timeZone}|${lookup.sharedCount}|${lookup.choice}`
  let byKey = partsCache.get(lookup.conference)
  const hit = byKey?.get(key)
  if (hit) return hit
  const parts = cardParts(lookup, ctx)
  if (!byKey) {
    byKey = new Map()
    partsCache.set(lookup.conference, byKey)
  }
  byKey.set(key, parts)
  return parts
}

/**
 * The meeting card. While the meeting can still be joined it is an actionCard with a Join button;
 * otherwise markdown. DingTalk's actionCard cannot @-mention, so there the asker's name is written
 * in the text instead.
 */
export function meetingCard(lookup: MeetingLookup, ctx: CardContext): Reply {
  const { title, head, tail, url } = cachedParts(lookup, ctx)
  const duration = durationLine(lookup.conference, ctx)
  const body = duration
    ? `${head}\n${field(strings(ctx.locale).duration, duration)}\n${tail}`
    : `${head}\n${tail}`
  if (url) {
    const text = ctx.mention ? `${body}\n\n${mentionOf(ctx.mention, false)}` : body
    return {
      msgtype: 'actionCard',
      actionCard: { title, text, singleTitle: strings(ctx.locale).join, singleURL: url },
    }
  }
  return withMention({ msgtype: 'markdown', markdown: { title, text: body } }, ctx.mention)
}
