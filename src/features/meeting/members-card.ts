import { formatDuration } from '../../cards/format.js'
import type { Locale } from '../../core/locale.js'
import type { Reply } from '../../core/message.js'
import { escapeMarkdown, withMention } from '../../core/reply.js'
import type { ConferenceInfo, ConferenceMember, MemberList } from '../../dingtalk/conference.js'
import { type CardContext, durationLine, STATUS_ICON } from './card.js'
import { type MembersStrings, membersStrings } from './members-strings.js'
import type { MeetingLookup } from './service.js'
import { meetingStrings } from './strings.js'

/** A meeting and who DingTalk lists for it: what the members card shows. */
export interface MembersView {
  readonly lookup: MeetingLookup
  readonly list: MemberList
}

/** How many names a section shows before "and N more": a card is read on a phone. */
export const SHOWN = { inNow: 20, left: 10, attended: 30 } as const

const IN_MEETING = 3
const KICKED = 5
const LEFT = 6

/** Joined at some point: in the meeting, kicked out or left (or DingTalk knows a join time). */
function joined(m: ConferenceMember): boolean {
  return (
    m.joinTime !== undefined ||
    m.attendStatus === IN_MEETING ||
    m.attendStatus === KICKED ||
    m.attendStatus === LEFT
  )
}

/** Time in the meeting: DingTalk's `duration`, else since the join (for someone still in). */
function timeIn(m: ConferenceMember, now: number): number | undefined {
  if (m.duration !== undefined) return m.duration
  return m.attendStatus === IN_MEETING && m.joinTime !== undefined ? now - m.joinTime : undefined
}

function formatTimeIn(ms: number, locale: Locale): string {
  return ms < 60_000 ? formatDuration(ms, locale) : formatDuration(ms, locale, 'minutes')
}

function line(m: ConferenceMember, t: MembersStrings, ctx: CardContext): string {
  const marks: string[] = []
  if (m.host) marks.push(t.host)
  if (m.coHost) marks.push(t.coHost)
  if (m.outerOrgMember) marks.push(t.external)
  if (m.pstnJoin) marks.push(t.phone)
  if (m.attendStatus === KICKED) marks.push(t.removed)
  const name = escapeMarkdown(m.userNick ?? '') || t.noName
  const ms = timeIn(m, ctx.now)
  return `- ${name}${marks.length ? t.markers(marks) : ''}${ms === undefined ? '' : ` · ${formatTimeIn(ms, ctx.locale)}`}`
}

function section(
  heading: string,
  members: readonly ConferenceMember[],
  max: number,
  t: MembersStrings,
  ctx: CardContext,
): string[] {
  if (members.length === 0) return []
  const shown = members.slice(0, max).map((m) => line(m, t, ctx))
  if (members.length > max) shown.push(`- ${t.more(members.length - max)}`)
  return ['', `**${heading}**`, ...shown]
}

/** Hosts first, then co-hosts, then by `order`. */
function sorted(
  members: readonly ConferenceMember[],
  order: (a: ConferenceMember, b: ConferenceMember) => number,
): ConferenceMember[] {
  const rank = (m: ConferenceMember) => (m.host ? 0 : m.coHost ? 1 : 2)
  return [...members].sort((a, b) => rank(a) - rank(b) || order(a, b))
}

/**
 * Invited people who did not join: DingTalk's invited count less its attendee count, or the
 * members it lists as never joined (called, declined), whichever says more: both are lower bounds.
 */
function notJoined(c: ConferenceInfo, members: readonly ConferenceMember[]): number {
  const listed = members.filter((m) => !joined(m)).length
  const attended = c.attendNum ?? members.length - listed
  return Math.max(listed, c.invitedNum === undefined ? 0 : c.invitedNum - attended, 0)
}

/**
 * Who is in a meeting: in progress, those in it now (host and co-host marked, time in the
 * meeting) and those who joined and left; once ended, who attended and for how long. External
 * members and phone participants are marked, long lists are cut, names are escaped. Markdown,
 * pure in its inputs (the clock is `ctx.now`).
 */
export function membersCard(view: MembersView, ctx: CardContext): Reply {
  const c = view.lookup.conference
  const t = membersStrings(ctx.locale)
  const m = meetingStrings(ctx.locale)
  const status = (c.status in STATUS_ICON ? c.status : 0) as 0 | 1 | 2
  const title = escapeMarkdown(c.title ?? '') || m.untitled
  const duration = durationLine(c, ctx)
  const lines = [
    `#### ${title} · ${t.heading}`,
    `- **${m.status}:** ${STATUS_ICON[status]} ${m.statusLabel[status]}${duration ? ` · ${duration}` : ''}`,
  ]
  const members = view.list.members
  const came = members.filter(joined)
  const byJoin = (a: ConferenceMember, b: ConferenceMember) => (a.joinTime ?? 0) - (b.joinTime ?? 0)
  if (status === 1) {
    const byTime = (a: ConferenceMember, b: ConferenceMember) =>
      (timeIn(b, ctx.now) ?? 0) - (timeIn(a, ctx.now) ?? 0) || byJoin(a, b)
    lines.push(...section(t.attended(came.length), sorted(came, byTime), SHOWN.attended, t, ctx))
  } else {
    const now = came.filter((x) => x.attendStatus === IN_MEETING)
    const left = came.filter((x) => x.attendStatus !== IN_MEETING)
    const byLeave = (a: ConferenceMember, b: ConferenceMember) => (b.leaveTime ?? 0) - (a.leaveTime ?? 0)
    lines.push(...section(t.inNow(now.length), sorted(now, byJoin), SHOWN.inNow, t, ctx))
    lines.push(...section(t.joinedAndLeft(left.length), sorted(left, byLeave), SHOWN.left, t, ctx))
  }
  if (came.length === 0) lines.push('', status === 1 ? t.nobodyAttended : t.nobodyYet)
  const missing = notJoined(c, members)
  if (missing > 0) lines.push('', t.notJoined(missing))
  if (view.list.truncated) lines.push('', `> ${t.truncated(members.length, view.list.totalCount)}`)
  const { sharedCount, choice } = view.lookup
  if (sharedCount > 1 && choice !== 'byId')
    lines.push('', `> ${m.shared(sharedCount, m.choice[choice] as string)}`)
  return withMention(
    {
      msgtype: 'markdown',
      markdown: { title: `${c.title ?? m.untitled} · ${t.heading}`, text: lines.join('\n') },
    },
    ctx.mention,
  )
}
