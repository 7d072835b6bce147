import { readFile } from 'node:fs/promises'
import { type CrowdEntry, countsOf, crowd, type EmulatorMember } from './members.js'

/** A meeting as the emulator stores it: the union of what DingTalk's conference APIs return. */
export interface EmulatorMeeting {
  conferenceId: string
  roomCode: string
  title: string
  /** 0 not started, 1 ended, 2 in progress. */
  status: 0 | 1 | 2
  startTime: number
  endTime?: number
  creatorNick: string
  creatorId?: string
  activeNum?: number
  attendNum?: number
  invitedNum?: number
  cloudRecordStatus?: number
  externalLinkUrl?: string
  bizType?: string
  scheduleConferenceId?: string
  calendarEventId?: string
  /** The app may not read this meeting: DingTalk answers 403 noPermission. */
  forbidden?: boolean
  /**
   * Who joined, is being called or left (members API). A meeting without a list (a meetings file
   * that gives only counts) answers an empty one; the timeline starts one at the first join.
   */
  members?: EmulatorMember[]
  /** Bumped by every change the timeline makes; events carry it so the bot can order them. */
  statusSeqNum?: number
}

const MIN = 60_000

function id(n: number): string {
  return `5f1c2a9e07b3d4c6e8a1${n.toString(16).padStart(4, '0')}`
}

function link(roomCode: string, token: string): string {
  return `https://meeting.dingtalk.com/app?roomCode=${roomCode}&token=${token}`
}

/** Members and the counts that follow from them, so the card and the member list agree. */
function attended(startTime: number, entries: readonly CrowdEntry[]) {
  const members = crowd(startTime, entries)
  return { members, ...countsOf(members) }
}

/** Last week's stand-up and this week's: the same team, this week two have left already. */
const STANDUP_TEAM = [
  'Han Meimei',
  'Li Lei',
  'Lucy Wang',
  'Tom Zhang',
  '张伟',
  '王芳',
  '刘洋',
  '陈静',
  '赵磊',
]

function standup(startTime: number, live: boolean) {
  return attended(
    startTime,
    STANDUP_TEAM.map((nick, i) => ({
      nick,
      joinedAt: i % 3,
      ...(live ? (i >= 7 ? { leftAt: 5 } : {}) : { leftAt: 12 + (i % 4) }),
      ...(i === 0 ? { host: true } : {}),
    })),
  )
}

/**
 * Sample meetings covering every card state, relative to `now` so they always look current:
 * in progress, not started (one in a few minutes, to try `:start`), ended, a recurring room code
 * with several instances, one the app may not read. The live and ended ones have members whose
 * numbers are the card's. Room code 999 999 999 does not exist.
 */
export function sampleMeetings(now: number): EmulatorMeeting[] {
  const at = (minutes: number) => now + minutes * MIN
  return [
    {
      conferenceId: id(1),
      roomCode: '615902734',
      title: 'Sprint 43 retrospective',
      status: 2,
      startTime: at(-25),
      creatorNick: '张伟',
      creatorId: 'unionQx81',
      // 5 in the meeting now, 6 joined in total.
      ...attended(at(-25), [
        { nick: '张伟', joinedAt: 0, host: true },
        { nick: '王芳', joinedAt: 1, coHost: true },
        { nick: 'Alice Chen', joinedAt: 3, external: true },
        { nick: '138****5678', joinedAt: 8, pstn: true },
        { nick: 'Han Meimei', joinedAt: 2, leftAt: 12 },
        { nick: 'Li Lei', joinedAt: 14 },
      ]),
      invitedNum: 14,
      cloudRecordStatus: 1,
      externalLinkUrl: link('615902734', '1_4c7f'),
      bizType: '3',
    },
    {
      conferenceId: id(2),
      roomCode: '583480813',
      title: '产品评审会',
      status: 0,
      startTime: at(95),
      creatorNick: '王芳',
      invitedNum: 8,
      externalLinkUrl: link('583480813', '1_a1b2'),
      bizType: '3',
    },
    {
      conferenceId: id(3),
      roomCode: '427212345',
      title: 'Quarterly planning',
      status: 1,
      startTime: at(-24 * 60),
      endTime: at(-24 * 60 + 90),
      creatorNick: 'Li Lei',
      // 12 attended, none left in the meeting.
      ...attended(at(-24 * 60), [
        { nick: 'Li Lei', joinedAt: 0, leftAt: 90, host: true },
        { nick: 'Han Meimei', joinedAt: 0, leftAt: 90, coHost: true },
        { nick: '张伟', joinedAt: 1, leftAt: 90 },
        { nick: '王芳', joinedAt: 2, leftAt: 88 },
        { nick: '刘洋', joinedAt: 2, leftAt: 61 },
        { nick: '陈静', joinedAt: 5, leftAt: 90 },
        { nick: 'Lucy Wang', joinedAt: 5, leftAt: 45 },
        { nick: 'Tom Zhang', joinedAt: 10, leftAt: 90 },
        { nick: '赵磊', joinedAt: 15, leftAt: 75 },
        { nick: '孙丽', joinedAt: 20, leftAt: 90 },
        { nick: 'Bob Miller', joinedAt: 30, leftAt: 60, external: true },
        { nick: '139****2468', joinedAt: 40, leftAt: 70, pstn: true },
      ]),
      invitedNum: 14,
      cloudRecordStatus: 3,
      externalLinkUrl: link('427212345', '1_9b2e'),
      bizType: '0',
    },
    // A recurring weekly stand-up: last week's ended, this week's running, next week's booked.
    ...[-7 * 24 * 60, -10, 7 * 24 * 60].map(
      (offset, i): EmulatorMeeting => ({
        conferenceId: id(10 + i),
        roomCode: '728301956',
        title: 'Weekly stand-up',
        status: offset < -60 ? 1 : offset < 0 ? 2 : 0,
        startTime: at(offset),
        ...(offset < -60 ? { endTime: at(offset + 15) } : {}),
        creatorNick: 'Han Meimei',
        // Ended: 9 attended; running: 7 in, 9 joined; booked: nobody yet.
        ...(offset < 0 ? standup(at(offset), offset > -60) : { activeNum: 0, attendNum: 0 }),
        invitedNum: 10,
        externalLinkUrl: link('728301956', `1_w${i}`),
        bizType: '3',
        scheduleConferenceId: 'schedWeekly1',
      }),
    ),
    {
      conferenceId: id(4),
      roomCode: '372615948',
      title: 'Design sync',
      status: 0,
      startTime: at(5),
      creatorNick: 'Lucy Wang',
      invitedNum: 6,
      externalLinkUrl: link('372615948', '1_d5e6'),
      bizType: '3',
    },
    {
      conferenceId: id(20),
      roomCode: '100200300',
      title: 'Board meeting (restricted)',
      status: 2,
      startTime: at(-5),
      creatorNick: 'CEO',
      forbidden: true,
    },
  ]
}

export class MeetingsFileError extends Error {
  constructor(file: string, problem: string) {
    super(`meetings file ${file}: ${problem}`)
    this.name = 'MeetingsFileError'
  }
}

type FileMeeting = Omit<EmulatorMeeting, 'startTime' | 'endTime'> & {
  startTime?: number
  endTime?: number
  /** Minutes from now, so a file stays current: -30 started half an hour ago. */
  startInMinutes?: number
  endInMinutes?: number
}

function check(file: string, i: number, m: Partial<FileMeeting>): void {
  const where = `meetings[${i}]`
  const fail = (p: string) => {
    throw new MeetingsFileError(file, `${where}: ${p}`)
  }
  if (!m || typeof m !== 'object') fail('must be an object')
  if (typeof m.conferenceId !== 'string' || !/^[0-9a-f]{24}$/i.test(m.conferenceId)) {
    fail('conferenceId must be 24 hex characters')
  }
  if (typeof m.roomCode !== 'string' || !/^\d{6,12}$/.test(m.roomCode))
    fail('roomCode must be 6 to 12 digits')
  if (typeof m.title !== 'string') fail('title must be a string')
  if (m.status !== 0 && m.status !== 1 && m.status !== 2)
    fail('status must be 0 (not started), 1 (ended) or 2 (in progress)')
  if (typeof m.startTime !== 'number' && typeof m.startInMinutes !== 'number') {
    fail('needs startTime (epoch ms) or startInMinutes (minutes from now)')
  }
  for (const k of [
    'activeNum',
    'attendNum',
    'invitedNum',
    'cloudRecordStatus',
    'endTime',
    'endInMinutes',
  ] as const) {
    if (m[k] !== undefined && typeof m[k] !== 'number') fail(`${k} must be a number`)
  }
}

/**
 * Reads a meetings file: `{"mode": "replace" | "extend", "meetings": [...]}` or a bare array
 * (replace). Every problem names the file and the entry.
 */
export async function loadMeetingsFile(
  file: string,
  now: number,
): Promise<{ mode: 'replace' | 'extend'; meetings: EmulatorMeeting[] }> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (err) {
    throw new MeetingsFileError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch (err) {
    throw new MeetingsFileError(file, `is not valid JSON (${(err as Error).message})`)
  }
  const doc = Array.isArray(json)
    ? { mode: 'replace', meetings: json }
    : (json as { mode?: unknown; meetings?: unknown })
  const mode = doc?.mode ?? 'replace'
  if (mode !== 'replace' && mode !== 'extend')
    throw new MeetingsFileError(file, 'mode must be "replace" or "extend"')
  if (!Array.isArray(doc?.meetings))
    throw new MeetingsFileError(file, 'must be an array of meetings or {"meetings": [...]}')
  const seen = new Set<string>()
  const meetings = (doc.meetings as Partial<FileMeeting>[]).map((m, i) => {
    check(file, i, m)
    const fm = m as FileMeeting
    if (seen.has(fm.conferenceId))
      throw new MeetingsFileError(file, `meetings[${i}]: conferenceId ${fm.conferenceId} is repeated`)
    seen.add(fm.conferenceId)
    const { startInMinutes, endInMinutes, ...rest } = fm
    const startTime = fm.startTime ?? now + (startInMinutes as number) * MIN
    const endTime = fm.endTime ?? (endInMinutes === undefined ? undefined : now + endInMinutes * MIN)
    return {
      ...rest,
      creatorNick: rest.creatorNick ?? '',
      startTime,
      ...(endTime === undefined ? {} : { endTime }),
    }
  })
  return { mode, meetings }
}
