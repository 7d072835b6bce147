import { formatDuration, formatTime } from '../../cards/format.js'
import { formatRoomCode, httpLink } from '../../cards/links.js'
import type { Locale } from '../../core/locale.js'
import { escapeMarkdown } from '../../core/reply.js'
import type { ConferenceInfo, ConferenceMember } from '../../dingtalk/conference.js'
import type { LiveState } from './model.js'
import { liveCardStrings } from './strings.js'

/*
 * The card's data, pure: from what is known of the meeting to the template's variables
 * (docs/card-template/README.md), every value a string. Snapshot-testable: the clock is passed in.
 */

export interface ViewContext {
  readonly locale: Locale
  readonly timeZone: string
  readonly now: number
  readonly watching: boolean
  /** Why the card stopped being live, if it did (`ended` is told by the state itself). */
  readonly stopped?: 'expired' | 'quota' | undefined
  /** `BOT_CARD_LIVE_HOURS`, for the expired note. */
  readonly liveHours: number
  /** Several meetings share the room code: how many, and which one this is (`inProgress`...). */
  readonly shared?: { readonly count: number; readonly choice: string } | undefined
}

const ICON = ['🕒', '⚪', '🟢'] as const

/** What a lookup says, as a live state (the first card, a Refresh). */
export function stateOf(c: ConferenceInfo): LiveState {
  const joinUrl = httpLink(c.externalLinkUrl)
  return {
    conferenceId: c.conferenceId,
    title: c.title,
    roomCode: c.roomCode,
    creatorNick: c.creatorNick,
    joinUrl,
    status: c.status,
    ...(c.status === 0 ? { scheduledStart: c.startTime } : { startedAt: c.startTime }),
    endedAt: c.status === 1 ? (c.endTime ?? endOf(c)) : undefined,
    durationMs: c.status === 1 ? c.confDuration : undefined,
    activeNum: c.status === 1 ? 0 : c.activeNum,
    joined: c.attendNum,
    invited: c.invitedNum,
    final: false,
  }
}

function endOf(c: ConferenceInfo): number | undefined {
  return c.startTime !== undefined && c.confDuration ? c.startTime + c.confDuration : undefined
}

const count = (n: number | undefined, unknown: string) =>
  n === undefined || !Number.isFinite(n) ? unknown : String(n)

/** The variables that make a card differ; `note` (its update time) alone never sends an update. */
export function cardData(s: LiveState, ctx: ViewContext): Record<string, string> {
  const t = liveCardStrings(ctx.locale)
  const when = (ms: number) => formatTime(ms, ctx.locale, ctx.timeZone)
  const clock = formatTime(ctx.now, ctx.locale, ctx.timeZone, ctx.now)
  const title = s.title?.trim() || t.untitled
  const elapsed = elapsedOf(s, ctx)
  const field = (label: string, value: string) => `- **${label}:** ${value}`
  const lines = [field(t.status, `${ICON[s.status]} ${t.statusText[s.status]}`)]
  if (s.creatorNick) lines.push(field(t.creator, escapeMarkdown(s.creatorNick)))
  if (s.host) lines.push(field(t.host, escapeMarkdown(s.host)))
  if (s.status === 0 && s.scheduledStart !== undefined) lines.push(field(t.scheduled, when(s.scheduledStart)))
  if (s.status !== 0 && s.startedAt !== undefined) lines.push(field(t.start, when(s.startedAt)))
  if (s.status === 1 && s.endedAt !== undefined) lines.push(field(t.end, when(s.endedAt)))
  if (elapsed) lines.push(field(s.status === 1 ? t.duration : t.elapsed, elapsed))
  lines.push(field(t.participants, participants(s, t)))
  if (s.roomCode) lines.push(field(t.roomCode, formatRoomCode(s.roomCode)))
  if (ctx.shared && ctx.shared.count > 1 && ctx.shared.choice !== 'byId')
    lines.push('', `> ${t.shared(ctx.shared.count, t.choice[ctx.shared.choice] ?? ctx.shared.choice)}`)
  const live = s.status !== 1 && !ctx.stopped
  const note =
    s.status === 1
      ? t.final(clock)
      : ctx.stopped === 'expired'
        ? t.expired(ctx.liveHours)
        : ctx.stopped === 'quota'
          ? t.quota
          : t.live(clock)
  const joinUrl = s.status === 1 ? '' : (s.joinUrl ?? '')
  return fitValues({
    title,
    roomCode: s.roomCode ? formatRoomCode(s.roomCode) : '',
    status: ['not_started', 'ended', 'in_progress'][s.status] as string,
    statusText: t.statusText[s.status] as string,
    body: lines.join('\n'),
    activeNum: s.status === 2 ? count(s.activeNum, '') : s.status === 1 ? '0' : '',
    attendNum: count(s.joined, ''),
    invitedNum: count(s.invited, ''),
    elapsed,
    host: s.host ?? '',
    joinUrl,
    showJoin: joinUrl ? 'true' : 'false',
    watching: ctx.watching ? 'true' : 'false',
    watchAction: ctx.watching ? 'unwatch' : 'watch',
    watchLabel: ctx.watching ? t.unwatchLabel : t.watchLabel,
    live: live ? 'true' : 'false',
    note,
    refreshLabel: t.refreshLabel,
    membersLabel: t.membersLabel,
    joinLabel: t.joinLabel,
  })
}

/** Every value within DingTalk's 1 KB (a long title or nick is cut, marked with …). */
function fitValues(data: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(data)) {
    if (Buffer.byteLength(v) <= MAX_VALUE_BYTES) continue
    let cut = v.slice(0, MAX_VALUE_BYTES)
    while (Buffer.byteLength(`${cut}…`) > MAX_VALUE_BYTES) cut = cut.slice(0, -1)
    data[k] = `${cut}…`
  }
  return data
}

function participants(s: LiveState, t: ReturnType<typeof liveCardStrings>): string {
  const parts: string[] = []
  if (s.status === 2) parts.push(t.inNow(count(s.activeNum, t.unknown)))
  if (s.status !== 0) parts.push(t.joined(count(s.joined, t.unknown)))
  if (s.status === 1 && s.mostAtOnce) parts.push(t.mostAtOnce(s.mostAtOnce))
  parts.push(t.invited(count(s.invited, t.unknown)))
  return parts.join(' · ')
}

/** Running: minutes since the start (so the card changes once a minute at most); ended: the duration. */
function elapsedOf(s: LiveState, ctx: ViewContext): string {
  if (s.status === 1) {
    const ms =
      s.durationMs ??
      (s.startedAt !== undefined && s.endedAt !== undefined ? s.endedAt - s.startedAt : undefined)
    return ms === undefined ? '' : formatDuration(ms, ctx.locale)
  }
  if (s.status === 2 && s.startedAt !== undefined)
    return formatDuration(ctx.now - s.startedAt, ctx.locale, 'minutes')
  return ''
}

/** The Members button's list: who is in, then who left, hosts marked; at most `max` names. */
export function membersData(
  members: readonly ConferenceMember[],
  locale: Locale,
  max = 30,
): Record<string, string> {
  const t = liveCardStrings(locale)
  if (members.length === 0) return { members: t.membersNone }
  const rank = (m: ConferenceMember) => (m.attendStatus === 3 ? 0 : 1)
  const sorted = [...members].sort((a, b) => rank(a) - rank(b) || (a.joinTime ?? 0) - (b.joinTime ?? 0))
  const lines = sorted.slice(0, max).map((m) => {
    const name = escapeMarkdown(m.userNick ?? '') || '?'
    const state =
      m.attendStatus === 3 ? t.inMark : m.attendStatus === 5 || m.attendStatus === 6 ? t.leftMark : ''
    return `- ${name}${m.host ? t.hostMark : ''}${state ? ` · ${state}` : ''}`
  })
  // DingTalk refuses a value over 1 KB: as many lines as fit under the title.
  const shown: string[] = []
  let bytes = Buffer.byteLength(t.membersTitle(members.length, members.length)) + 8
  for (const line of lines) {
    bytes += Buffer.byteLength(line) + 1
    if (bytes > MAX_VALUE_BYTES) break
    shown.push(line)
  }
  return { members: [`**${t.membersTitle(shown.length, members.length)}**`, ...shown].join('\n') }
}

/** DingTalk's bound on one cardParamMap value. */
export const MAX_VALUE_BYTES = 1024

/** The keys whose value differs; `note` is left out (it changes with every update's time). */
export function changedKeys(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string[] {
  return Object.keys(after).filter((k) => k !== 'note' && before[k] !== after[k])
}
