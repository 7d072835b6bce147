import type { EmulatorMeeting } from './meetings.js'
import { ATTEND, type EmulatorMember, unionIdFor } from './members.js'

/**
 * The emulator's own clock: real time plus an offset that only grows. `advance(30 min)` is how a
 * test or `npm run chat` lets half an hour pass in the emulated meetings without waiting for it.
 * The bot keeps its own clock; a test that wants both to agree hands `clock.now` to the bot.
 */
export class EmulatorClock {
  private offset = 0

  /** `base` is real time; tests may pass a fixed one, so durations come out exact. */
  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offset
  }

  get offsetMs(): number {
    return this.offset
  }

  /** Moves the clock forward (never back: DingTalk's times only grow). Returns the new now. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new TimelineError('badRequest', 'ms must be a number ≥ 0')
    this.offset += ms
    return this.now()
  }
}

/** An operation the meeting's state does not allow, or a meeting that is not there. */
export class TimelineError extends Error {
  constructor(
    readonly kind: 'notFound' | 'conflict' | 'badRequest',
    message: string,
  ) {
    super(message)
    this.name = 'TimelineError'
  }
}

/** Free-form names for scenes DingTalk does not document; "ended" is decided from status (§9). */
export type ChangeScene = 'conference_start' | 'conference_end' | 'user_join' | 'user_leave'

/** Who hears about each change: the events pipe (EVENT frames) in the emulator. */
export interface TimelineSink {
  statusChanged(meeting: EmulatorMeeting, scene: ChangeScene): void
  membersChanged(meeting: EmulatorMeeting, members: readonly EmulatorMember[], scene: ChangeScene): void
}

export interface JoinOptions {
  readonly host?: boolean
  readonly external?: boolean
  readonly pstn?: boolean
}

export interface MemberChange {
  readonly meeting: EmulatorMeeting
  readonly member: EmulatorMember
}

const STATUS_NAME = ['not started', 'ended', 'in progress'] as const

/**
 * What happens to meetings over time: start, end, join, leave. Each change updates the counts the
 * conference API answers, bumps the meeting's `statusSeqNum` and tells the sink (EVENT frames).
 * A meeting is named by room code (spaces allowed) or conference id; under a recurring room code
 * `start` takes the next one not started and the others the one in progress.
 */
export class Timeline {
  constructor(
    private readonly meetings: () => readonly EmulatorMeeting[],
    readonly clock: EmulatorClock,
    private readonly sink: TimelineSink,
  ) {}

  /** Not started → in progress, starting now. */
  start(code: string): EmulatorMeeting {
    const all = this.named(code)
    const running = all.find((m) => m.status === 2)
    if (running) throw new TimelineError('conflict', `${this.label(running)} is already in progress`)
    const next = all.filter((m) => m.status === 0).sort((a, b) => a.startTime - b.startTime)[0]
    if (!next) throw new TimelineError('conflict', `${code} has no meeting that has not started`)
    next.status = 2
    next.startTime = this.clock.now()
    delete next.endTime
    next.activeNum = 0
    next.attendNum = next.attendNum ?? 0
    this.bump(next)
    this.sink.statusChanged(next, 'conference_start')
    return next
  }

  /** In progress → ended, now; everyone still in the meeting leaves with it. */
  end(code: string): EmulatorMeeting {
    const m = this.running(code)
    const now = this.clock.now()
    const leaving = (m.members ?? []).filter((x) => x.attendStatus === ATTEND.inMeeting)
    for (const x of leaving) this.leaveNow(x, now)
    m.status = 1
    m.endTime = now
    m.activeNum = 0
    if (leaving.length > 0) {
      this.bump(m)
      this.sink.membersChanged(m, leaving, 'user_leave')
    }
    this.bump(m)
    this.sink.statusChanged(m, 'conference_end')
    return m
  }

  /** Someone joins the meeting in progress; a nick seen before is that person coming back. */
  join(code: string, nick: string, opts: JoinOptions = {}): MemberChange {
    const name = this.nick(nick)
    const m = this.running(code)
    m.members ??= []
    let member = m.members.find((x) => x.userNick === name)
    if (member?.attendStatus === ATTEND.inMeeting)
      throw new TimelineError('conflict', `${name} is already in ${this.label(m)}`)
    const now = this.clock.now()
    const first = member?.joinTime === undefined
    if (!member) {
      member = { unionId: unionIdFor(name), userNick: name, attendStatus: ATTEND.inMeeting }
      m.members.push(member)
    }
    member.attendStatus = ATTEND.inMeeting
    member.joinTime = now
    delete member.leaveTime
    if (opts.host) member.host = true
    if (opts.external) member.outerOrgMember = true
    if (opts.pstn) member.pstnJoin = true
    m.activeNum = (m.activeNum ?? 0) + 1
    if (first) m.attendNum = (m.attendNum ?? 0) + 1
    this.bump(m)
    this.sink.membersChanged(m, [member], 'user_join')
    return { meeting: m, member }
  }

  /** Someone in the meeting in progress leaves it. */
  leave(code: string, nick: string): MemberChange {
    const name = this.nick(nick)
    const m = this.running(code)
    const member = m.members?.find((x) => x.userNick === name && x.attendStatus === ATTEND.inMeeting)
    if (!member) throw new TimelineError('conflict', `${name} is not in ${this.label(m)}`)
    this.leaveNow(member, this.clock.now())
    m.activeNum = Math.max(0, (m.activeNum ?? 1) - 1)
    this.bump(m)
    this.sink.membersChanged(m, [member], 'user_leave')
    return { meeting: m, member }
  }

  private leaveNow(x: EmulatorMember, now: number): void {
    x.duration = (x.duration ?? 0) + Math.max(0, now - (x.joinTime ?? now))
    x.leaveTime = now
    x.attendStatus = ATTEND.left
  }

  private bump(m: EmulatorMeeting): void {
    m.statusSeqNum = (m.statusSeqNum ?? 0) + 1
  }

  private nick(nick: string): string {
    const name = nick.trim()
    if (!name) throw new TimelineError('badRequest', 'a name is needed')
    return name
  }

  private named(code: string): EmulatorMeeting[] {
    const key = code.replace(/\s+/g, '')
    const all = this.meetings().filter((m) => m.roomCode === key || m.conferenceId === key.toLowerCase())
    if (all.length === 0) throw new TimelineError('notFound', `no meeting ${code}`)
    return all
  }

  private running(code: string): EmulatorMeeting {
    const all = this.named(code)
    const m = all.find((x) => x.status === 2)
    if (m) return m
    const states = [...new Set(all.map((x) => STATUS_NAME[x.status]))].join(', ')
    const hint = all.some((x) => x.status === 0) ? '; start it first' : ''
    throw new TimelineError('conflict', `${code} is not in progress (${states})${hint}`)
  }

  private label(m: EmulatorMeeting): string {
    return `${m.roomCode} (${m.title})`
  }
}
