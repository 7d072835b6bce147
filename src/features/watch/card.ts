import { formatDuration, formatTime } from '../../cards/format.js'
import { formatRoomCode } from '../../cards/links.js'
import type { Locale } from '../../core/locale.js'
import type { Reply } from '../../core/message.js'
import { escapeMarkdown, markdownReply } from '../../core/reply.js'
import type { Summary, Track, Watch } from './model.js'
import { watchStrings } from './strings.js'

/*
 * The watch feature's notices and lists: pure functions of what was seen, the chat's language and
 * time zone (kept with the watch) and, where a time is relative, `now`. User text is escaped.
 */

export { formatRoomCode }

export interface View {
  readonly locale: Locale
  readonly timeZone: string
}

const field = (label: string, value: string) => `- **${label}:** ${value}`

/** `**Title** (372 615 948)`, escaped, for sentences. */
export function meetingName(title: string | undefined, roomCode: string | undefined, locale: Locale): string {
  const t = watchStrings(locale)
  const name = `**${escapeMarkdown(title ?? '') || t.untitled}**`
  return roomCode ? `${name} (${formatRoomCode(roomCode)})` : name
}

const plainTitle = (title: string | undefined, locale: Locale) =>
  (title ?? '').replace(/\s+/g, ' ').trim() || watchStrings(locale).untitled

/** "It has started": with a Join button (actionCard) when the meeting has an http(s) join link. */
export function startedNotice(track: Track, w: Watch): Reply {
  const t = watchStrings(w.locale)
  const title = escapeMarkdown(track.title ?? '') || t.untitled
  const lines = [`#### 🟢 ${t.started(title)}`]
  if (track.roomCode) lines.push(field(t.roomCode, formatRoomCode(track.roomCode)))
  if (track.startedAt !== undefined)
    lines.push(field(t.startedAt, formatTime(track.startedAt, w.locale, w.timeZone)))
  if (track.creatorNick) lines.push(field(t.creator, escapeMarkdown(track.creatorNick)))
  lines.push('', `> ${t.watchedBy(escapeMarkdown(w.by.nick) || w.by.staffId)}`)
  const text = lines.join('\n')
  const heading = t.started(plainTitle(track.title, w.locale))
  if (track.joinUrl) {
    return {
      msgtype: 'actionCard',
      actionCard: { title: heading, text, singleTitle: t.join, singleURL: track.joinUrl },
    }
  }
  return markdownReply(heading, text)
}

/** The summary once it ended: times, duration, who came, the most at once, host, recording. */
export function endedNotice(s: Summary, w: Watch): Reply {
  const t = watchStrings(w.locale)
  const title = escapeMarkdown(s.title ?? '') || t.untitled
  const count = (n: number | undefined) => (n === undefined ? t.unknown : String(n))
  const lines = [`#### ⚪ ${t.ended(title)}`]
  if (s.roomCode) lines.push(field(t.roomCode, formatRoomCode(s.roomCode)))
  if (s.startedAt !== undefined) lines.push(field(t.start, formatTime(s.startedAt, w.locale, w.timeZone)))
  if (s.endedAt !== undefined)
    lines.push(field(t.end, formatTime(s.endedAt, w.locale, w.timeZone, s.startedAt)))
  if (s.durationMs !== undefined) lines.push(field(t.duration, formatDuration(s.durationMs, w.locale)))
  lines.push(field(t.participants, t.joinedOfInvited(count(s.joined), count(s.invited))))
  lines.push(field(t.mostAtOnce, t.asFarAsSeen(s.mostAtOnce)))
  if (s.host) lines.push(field(t.host, escapeMarkdown(s.host)))
  else if (s.creator) lines.push(field(t.creator, escapeMarkdown(s.creator)))
  if (s.recording !== undefined && t.recordingLabel[s.recording])
    lines.push(field(t.recording, t.recordingLabel[s.recording] as string))
  lines.push('', `> ${t.watchedByEnd(escapeMarkdown(w.by.nick) || w.by.staffId)}`)
  return markdownReply(t.ended(plainTitle(s.title, w.locale)), lines.join('\n'))
}

/** The watch ran out: the meeting never started, or never ended, within a day. */
export function expiredNotice(track: Track, w: Watch): Reply {
  const t = watchStrings(w.locale)
  const title = escapeMarkdown(track.title ?? '') || t.untitled
  const at = (ms: number | undefined) => formatTime(ms ?? w.createdAt, w.locale, w.timeZone)
  const why =
    track.status === 2 ? t.expiredRunning(at(track.startedAt)) : t.expiredNotStarted(at(track.scheduledStart))
  return markdownReply(
    t.expiredTitle(plainTitle(track.title, w.locale)),
    `#### ${t.expiredTitle(title)}\n${why}`,
  )
}

/** Said once per chat and month: the quota share for watches is spent, polling stops. */
export function quotaNotice(
  watches: readonly Watch[],
  spent: number,
  budget: number,
  resumeAt: number,
  view: View,
): Reply {
  const t = watchStrings(view.locale)
  const list = watches.map((w) => meetingName(w.title, w.roomCode, view.locale)).join(', ')
  const resume = formatTime(resumeAt, view.locale, view.timeZone)
  return markdownReply(t.quotaTitle, `#### ${t.quotaTitle}\n${t.quotaText(spent, budget, list, resume)}`)
}

export interface ListedWatch {
  readonly watch: Watch
  readonly track: Track | undefined
  readonly expiresAt: number | undefined
  readonly perHour: number
  /** Other chats watching the same meeting (they share its polls). */
  readonly sharedWith: number
}

export interface Budget {
  readonly spent: number
  readonly budget: number
  readonly quota: number
  readonly paused: boolean
}

/** `watches`: this chat's watches, what each costs, and the month's spending. */
export function watchesList(items: readonly ListedWatch[], max: number, budget: Budget, view: View): string {
  const t = watchStrings(view.locale)
  const time = (ms: number) => formatTime(ms, view.locale, view.timeZone)
  if (items.length === 0) return [`#### ${t.listTitle}`, t.listEmpty].join('\n')
  const lines = [`#### ${t.listHeading(items.length, max)}`]
  for (const it of items) {
    const tr = it.track
    const status = tr?.status ?? 0
    const state =
      status === 1
        ? t.endedPending
        : status === 2
          ? t.liveSince(time(tr?.startedAt ?? it.watch.createdAt))
          : t.scheduled(time(tr?.scheduledStart ?? it.watch.snapshot.startTime ?? it.watch.createdAt))
    const parts = [
      meetingName(tr?.title ?? it.watch.title, tr?.roomCode ?? it.watch.roomCode, view.locale),
      state,
    ]
    if (it.expiresAt !== undefined) parts.push(t.expires(time(it.expiresAt)))
    const cost = t.cost(tr?.calls ?? 0, it.perHour) + (it.sharedWith > 0 ? t.shared(it.sharedWith) : '')
    lines.push(`- ${parts.join(' · ')}`, `  ${cost}`)
  }
  const pct = budget.quota > 0 ? `${Math.round((100 * budget.budget) / budget.quota)}%` : '0%'
  lines.push('', `> ${t.monthLine(budget.spent, budget.budget, pct, budget.quota)}`)
  if (budget.paused) lines.push(`> ${t.pausedNote}`)
  return lines.join('\n')
}
