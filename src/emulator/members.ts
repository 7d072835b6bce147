import { createHash } from 'node:crypto'

/** `attendStatus` as DingTalk encodes it (platform notes §9). */
export const ATTEND = { init: 1, calling: 2, inMeeting: 3, failed: 4, kicked: 5, left: 6 } as const
export type AttendStatus = (typeof ATTEND)[keyof typeof ATTEND]

/** One participant of an emulated meeting, as the emulator stores it. */
export interface EmulatorMember {
  unionId: string
  userNick: string
  /** The latest join; a member who rejoins gets a new one. */
  joinTime?: number
  leaveTime?: number
  /**
   * Milliseconds in the meeting over the stints that ended. While the member is in the meeting
   * the running stint is added when served, so the answer follows the emulator's clock.
   */
  duration?: number
  host?: boolean
  coHost?: boolean
  attendStatus: AttendStatus
  /** From outside the organisation. */
  outerOrgMember?: boolean
  /** Dialled in by phone. */
  pstnJoin?: boolean
}

/** The same nick is the same person: a stable unionId, so a rejoin finds the member again. */
export function unionIdFor(nick: string): string {
  return `union${createHash('sha256').update(nick).digest('hex').slice(0, 10)}`
}

/** Milliseconds in the meeting as of `now`: the stints that ended plus the running one. */
export function servedDuration(m: EmulatorMember, now: number): number {
  const running = m.attendStatus === ATTEND.inMeeting && m.joinTime !== undefined ? now - m.joinTime : 0
  return (m.duration ?? 0) + Math.max(0, running)
}

/** One entry of `memberModels` (members API), shaped like `fixtures/conference-members.json`. */
export function memberModel(m: EmulatorMember, conferenceId: string, now: number) {
  return {
    unionId: m.unionId,
    conferenceId,
    userNick: m.userNick,
    ...(m.joinTime !== undefined ? { joinTime: m.joinTime } : {}),
    ...(m.leaveTime !== undefined ? { leaveTime: m.leaveTime } : {}),
    duration: servedDuration(m, now),
    host: m.host === true,
    coHost: m.coHost === true,
    attendStatus: m.attendStatus,
    ...(m.outerOrgMember ? { outerOrgMember: true } : {}),
    pstnJoin: m.pstnJoin === true,
  }
}

/** One entry of `openMemberModels` (the member-status event): `userId`, a device, no unionId. */
export function openMemberModel(m: EmulatorMember, conferenceId: string, now: number) {
  return {
    userId: m.unionId,
    userNick: m.userNick,
    conferenceId,
    attendStatus: m.attendStatus,
    ...(m.joinTime !== undefined ? { joinTime: m.joinTime } : {}),
    ...(m.leaveTime !== undefined ? { leaveTime: m.leaveTime } : {}),
    duration: servedDuration(m, now),
    deviceType: m.pstnJoin ? 'PSTN' : 'Mac',
    host: m.host === true,
    coHost: m.coHost === true,
    pstnJoin: m.pstnJoin === true,
  }
}

/** How many are in the meeting now and how many joined at all, from the member list. */
export function countsOf(members: readonly EmulatorMember[]): { activeNum: number; attendNum: number } {
  return {
    activeNum: members.filter((m) => m.attendStatus === ATTEND.inMeeting).length,
    attendNum: members.filter((m) => m.joinTime !== undefined).length,
  }
}

export interface CrowdEntry {
  readonly nick: string
  /** Minutes from the meeting's start. */
  readonly joinedAt: number
  /** Minutes from the meeting's start; absent while still in the meeting. */
  readonly leftAt?: number
  readonly host?: boolean
  readonly coHost?: boolean
  readonly external?: boolean
  readonly pstn?: boolean
}

/** Sample members from a compact list, times relative to the meeting's start. */
export function crowd(startTime: number, entries: readonly CrowdEntry[]): EmulatorMember[] {
  const at = (minutes: number) => startTime + minutes * 60_000
  return entries.map((e) => ({
    unionId: unionIdFor(e.nick),
    userNick: e.nick,
    joinTime: at(e.joinedAt),
    ...(e.leftAt !== undefined
      ? { leaveTime: at(e.leftAt), duration: (e.leftAt - e.joinedAt) * 60_000 }
      : { duration: 0 }),
    ...(e.host ? { host: true } : {}),
    ...(e.coHost ? { coHost: true } : {}),
    attendStatus: e.leftAt !== undefined ? ATTEND.left : ATTEND.inMeeting,
    ...(e.external ? { outerOrgMember: true } : {}),
    ...(e.pstn ? { pstnJoin: true } : {}),
  }))
}
