import { httpLink } from '../../cards/links.js'
import type { Locale } from '../../core/locale.js'
import type { ConferenceInfo, ConferenceStatus } from '../../dingtalk/conference.js'

/*
 * What the watch feature keeps, and the pure rules by which news changes it. Every key is in one
 * of the keyspaces of `keyspaces.ts`; `store.ts` reads and writes them, `engine.ts` acts on them.
 */

/** A watch that never starts ends this long after its scheduled start; a running one after its start. */
export const EXPIRE_AFTER_MS = 24 * 3600_000
/** Meetings further ahead than this are not watched: polling for weeks would eat the quota. */
export const MAX_AHEAD_MS = 30 * 24 * 3600_000

export type NoticeKind = 'started' | 'ended' | 'expired'

/** One chat's watch of one meeting (conference). */
export interface Watch {
  readonly conferenceId: string
  readonly roomCode: string | undefined
  readonly title: string | undefined
  /** Where notices go: what the notice sender made of the watch command's message (opaque JSON). */
  readonly chat: unknown
  readonly conversationId: string
  readonly by: { readonly staffId: string; readonly nick: string }
  readonly locale: Locale
  readonly timeZone: string
  readonly createdAt: number
  /** Under a recurring room code: how many meetings share it, and which one this is. */
  readonly instance: { readonly of: number; readonly choice: string }
  /** Watched while already in progress: no "started" notice, only the summary. */
  readonly skipStarted: boolean
  /** What the lookup said when the watch was made, for a track that has to be rebuilt. */
  readonly snapshot: ConferenceInfo
}

/** One participant as member events showed them. */
export interface Person {
  /** The `statusSeqNum` of the last event applied for this person. */
  seq: number
  nick?: string
  host?: boolean
  /** Stints in the meeting: [joinTime, leaveTime or null while still in]. */
  stints: Array<[number, number | null]>
}

/** What the bot has seen of one watched meeting, from events and polls. */
export interface Track {
  readonly v: 1
  readonly conferenceId: string
  title?: string
  roomCode?: string
  creatorNick?: string
  joinUrl?: string
  scheduledStart?: number
  status: ConferenceStatus
  /** The last `statusSeqNum` of a status event applied; -1 before any. */
  statusSeq: number
  startedAt?: number
  endedAt?: number
  durationMs?: number
  attendNum?: number
  invitedNum?: number
  /** The most in the meeting at once, as polls and status events said (`activeNum`). */
  maxActive: number
  /**
   * In the meeting now: the last poll's or status event's `activeNum`, moved by the joins and
   * leaves member events showed since (live cards show it); 0 once ended.
   */
  activeNum?: number
  /** 0 none, 1 recording, 2 paused, 3 finished; only polls (the conference API) say. */
  recording?: number
  host?: string
  people: Record<string, Person>
  lastEventAt?: number
  lastPollAt?: number
  /** API calls spent on this meeting's watches: polls, the final fetch, OpenAPI notices. */
  calls: number
  /** A conference API answer saying it ended was folded in (its end time, counts, recording). */
  endInfo?: boolean
  /** The summary is complete (or as complete as it will get): ended notices may go out. */
  final: boolean
  finalTries: number
}

const RANK: Record<ConferenceStatus, number> = { 0: 0, 2: 1, 1: 2 }

/** Status only moves forward (not started → in progress → ended): a stale answer never undoes news. */
export function advance(old: ConferenceStatus, next: unknown): ConferenceStatus {
  if (next !== 0 && next !== 1 && next !== 2) return old
  return RANK[next] > RANK[old] ? next : old
}

/** A http(s) join link, else undefined (only those go behind a button). */
export const joinUrlOf = httpLink

export function newTrack(c: ConferenceInfo): Track {
  const track: Track = {
    v: 1,
    conferenceId: c.conferenceId,
    status: 0,
    statusSeq: -1,
    maxActive: 0,
    people: {},
    calls: 0,
    final: false,
    finalTries: 0,
  }
  applyInfo(track, c)
  return track
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined)

/** What the conference API (a poll, the final fetch) says, folded in. Mutates `t`. */
export function applyInfo(t: Track, c: Partial<ConferenceInfo>): void {
  t.title = str(c.title) ?? t.title
  t.roomCode = str(c.roomCode) ?? t.roomCode
  t.creatorNick = str(c.creatorNick) ?? t.creatorNick
  t.joinUrl = joinUrlOf(str(c.externalLinkUrl)) ?? t.joinUrl
  const before = t.status
  t.status = advance(t.status, c.status)
  const start = num(c.startTime)
  if (t.status === 0 && start !== undefined) t.scheduledStart = start
  if (t.status !== 0 && start !== undefined && (c.status === t.status || t.startedAt === undefined))
    t.startedAt = start
  if (t.status === 1 && c.status === 1) {
    const duration = num(c.confDuration)
    if (duration !== undefined && duration > 0) t.durationMs = duration
    const end = num(c.endTime) ?? (start !== undefined && duration ? start + duration : undefined)
    if (end !== undefined) t.endedAt = end
  }
  if (t.status === 1) t.activeNum = 0
  else if (num(c.activeNum) !== undefined) t.activeNum = num(c.activeNum)
  if (before !== 1 || c.status === 1) {
    t.maxActive = Math.max(t.maxActive, num(c.activeNum) ?? 0)
    const attend = num(c.attendNum)
    if (attend !== undefined) t.attendNum = Math.max(t.attendNum ?? 0, attend)
    t.invitedNum = num(c.invitedNum) ?? t.invitedNum
    t.recording = num(c.cloudRecordStatus) ?? t.recording
  }
}

/** `openConfModel` of `meeting_status_change`, and its `statusSeqNum`. */
export interface StatusNews {
  readonly seq: number
  readonly bornAt: number
  readonly conf: Partial<ConferenceInfo>
}

/**
 * A status event: applied only when its `statusSeqNum` is newer than the last one applied, so a
 * duplicate or a late event changes nothing. "Ended" is its `status` (1), never its `changeScene`.
 * Returns whether anything changed (then `t` was mutated).
 */
export function applyStatusEvent(t: Track, news: StatusNews, now: number): boolean {
  if (news.seq <= t.statusSeq) return false
  t.statusSeq = news.seq
  const { startTime, confDuration } = news.conf
  applyInfo(t, { ...news.conf, endTime: undefined })
  if (t.status !== 0 && t.startedAt === undefined) t.startedAt = num(startTime) ?? news.bornAt
  if (t.status === 1 && t.endedAt === undefined) {
    const s = num(startTime)
    const d = num(confDuration)
    t.endedAt = s !== undefined && d ? s + d : news.bornAt
  }
  t.lastEventAt = now
  return true
}

/** One entry of `openMemberModels`. */
export interface MemberNews {
  readonly userId: string
  readonly nick?: string
  readonly attendStatus?: number
  readonly joinTime?: number
  readonly leaveTime?: number
  readonly host?: boolean
}

const IN_MEETING = 3
const GONE = new Set([5, 6])
/** A meeting of more people than this keeps its first ones only (the summary's counts stay right). */
const MAX_PEOPLE = 2000

/**
 * A member event: each person's entry is applied only when its `statusSeqNum` is newer than the
 * last one applied for that person (a late join does not reopen a stint its leave closed; a
 * duplicate changes nothing). Returns whether anything changed.
 */
export function applyMemberEvent(
  t: Track,
  seq: number,
  bornAt: number,
  members: readonly MemberNews[],
  now: number,
): boolean {
  let changed = false
  for (const m of members) {
    const known = t.people[m.userId]
    if (known && seq <= known.seq) continue
    if (!known && Object.keys(t.people).length >= MAX_PEOPLE) continue
    const p: Person = known ?? { seq, stints: [] }
    p.seq = seq
    if (m.nick) p.nick = m.nick
    if (m.host) p.host = true
    if (m.attendStatus === IN_MEETING) {
      const join = m.joinTime ?? bornAt
      const open = p.stints.find((s) => s[0] === join)
      if (!open) {
        if (!p.stints.some((s) => s[1] === null)) moveActive(t, 1)
        p.stints.push([join, null])
      }
    } else if (m.attendStatus !== undefined && GONE.has(m.attendStatus)) {
      const leave = m.leaveTime ?? bornAt
      const stint =
        (m.joinTime !== undefined ? p.stints.find((s) => s[0] === m.joinTime) : undefined) ??
        p.stints.find((s) => s[1] === null)
      if (stint) {
        if (stint[1] === null) moveActive(t, -1)
        stint[1] = leave
      } else if (m.joinTime !== undefined) p.stints.push([m.joinTime, leave])
    }
    t.people[m.userId] = p
    if (p.host && p.nick) t.host = p.nick
    changed = true
  }
  if (changed) t.lastEventAt = now
  return changed
}

/** A join or leave seen by a member event, while the meeting runs and a count is known. */
function moveActive(t: Track, by: 1 | -1): void {
  if (t.status === 2 && t.activeNum !== undefined) t.activeNum = Math.max(0, t.activeNum + by)
}

/** The most people in the meeting at once, from the stints events showed (exact whatever their order). */
export function peakOf(people: Record<string, Person>): number {
  const edges: Array<[number, number]> = []
  for (const p of Object.values(people)) {
    for (const [join, leave] of p.stints) {
      edges.push([join, 1])
      if (leave !== null) edges.push([leave, -1])
    }
  }
  // At the same moment a leave goes before a join: a hand-over is not two at once.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let peak = 0
  for (const [, d] of edges) {
    now += d
    peak = Math.max(peak, now)
  }
  return peak
}

/** What the ended notice says, from everything seen. */
export interface Summary {
  readonly title: string | undefined
  readonly roomCode: string | undefined
  readonly startedAt: number | undefined
  readonly endedAt: number | undefined
  readonly durationMs: number | undefined
  readonly joined: number | undefined
  readonly invited: number | undefined
  readonly mostAtOnce: number
  readonly host: string | undefined
  /** The creator stands in when no host was seen. */
  readonly creator: string | undefined
  readonly recording: number | undefined
}

export function summaryOf(t: Track): Summary {
  const joinedSeen = Object.values(t.people).filter((p) => p.stints.length > 0).length
  const joined =
    t.attendNum === undefined && joinedSeen === 0 ? undefined : Math.max(t.attendNum ?? 0, joinedSeen)
  const durationMs =
    t.durationMs ??
    (t.startedAt !== undefined && t.endedAt !== undefined ? t.endedAt - t.startedAt : undefined)
  return {
    title: t.title,
    roomCode: t.roomCode,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
    durationMs,
    joined,
    invited: t.invitedNum,
    mostAtOnce: Math.max(t.maxActive, peakOf(t.people)),
    host: t.host,
    creator: t.creatorNick,
    recording: t.recording,
  }
}

/** When a watch of this meeting gives up: 24 h after the scheduled start (or the start, once running). */
export function expiryOf(t: Track, w: Pick<Watch, 'createdAt'>): number | undefined {
  if (t.status === 1) return undefined
  if (t.status === 2) return (t.startedAt ?? w.createdAt) + EXPIRE_AFTER_MS
  return Math.max(t.scheduledStart ?? w.createdAt, w.createdAt) + EXPIRE_AFTER_MS
}

/** The notices a watch is owed now, in order. */
export function dueNotices(t: Track, w: Watch, now: number): NoticeKind[] {
  if (t.status === 1) return t.final ? ['ended'] : []
  const expires = expiryOf(t, w)
  if (expires !== undefined && now >= expires) return ['expired']
  return t.status === 2 && !w.skipStarted ? ['started'] : []
}
