import { type EventSpec, newEventId } from './events.js'
import type { EmulatorMeeting } from './meetings.js'
import { countsOf, crowd } from './members.js'
import type { TimelineSink } from './timeline.js'
import {
  type EmulatorClock,
  type JoinOptions,
  type MemberChange,
  Timeline,
  TimelineError,
} from './timeline.js'

/**
 * One org that installed the emulated third-party (ISV) app: its own meetings, admins and robot
 * code. In ISV mode the conference APIs answer an org's token from its `meetings` only.
 */
export interface EmulatorOrg {
  readonly corpId: string
  readonly name: string
  meetings: EmulatorMeeting[]
  /** Staff ids DingTalk marks `isAdmin` in this org's robot messages. */
  readonly admins?: readonly string[]
  /** The robot's code in this org; default the suite's one robot code (`isv.robotCode`). */
  readonly robotCode?: string
}

/** `eventCorpId` of the suite's own events (suite_ticket): the ISV's corp, not a customer's. */
export const SUITE_CORP_ID = 'dingsuiteEmulator'
export const SUITE_TICKET = 'suite_ticket'
export const ORG_SUITE_AUTH = 'org_suite_auth'
export const ORG_SUITE_RELIEVE = 'org_suite_relieve'

/** A room code both sample orgs have, with a different meeting (and title) in each. */
export const SHARED_ROOM_CODE = '500600700'

const MIN = 60_000

function confId(prefix: string, n: number): string {
  return `${prefix}${n.toString(16).padStart(24 - prefix.length, '0')}`
}

function link(roomCode: string, token: string): string {
  return `https://meeting.dingtalk.com/app?roomCode=${roomCode}&token=${token}`
}

type Crowd = Parameters<typeof crowd>[1]

function withMembers(startTime: number, entries: Crowd) {
  const members = crowd(startTime, entries)
  return { members, ...countsOf(members) }
}

/**
 * Two orgs for tests and `npm start` in ISV mode. Each has its own room codes and an admin, and
 * both have room code 500 600 700 with different meetings (titles, people, counts): a cache keyed
 * by room code alone shows the other org's title.
 *
 * - `dingcorpAlpha` "Alpha Co.", admin `alpha0001`: 211 300 401 "Alpha all-hands" (in progress,
 *   4 in it), 211 300 402 "Alpha roadmap review" (in an hour), 500 600 700 "Alpha weekly sync"
 *   (in progress, 3 in it).
 * - `dingcorpBeta` "Beta Ltd.", admin `beta0001`: 322 400 501 "Beta sales kickoff" (ended
 *   yesterday, 5 attended), 322 400 502 "Beta design crit" (in 5 minutes), 500 600 700 "Beta
 *   customer call" (in progress, 2 in it, one from outside).
 */
export function sampleIsvOrgs(now: number): EmulatorOrg[] {
  const at = (minutes: number) => now + minutes * MIN
  const alpha = (n: number) => confId('a1fa', n)
  const beta = (n: number) => confId('be7a', n)
  return [
    {
      corpId: 'dingcorpAlpha',
      name: 'Alpha Co.',
      admins: ['alpha0001'],
      meetings: [
        {
          conferenceId: alpha(1),
          roomCode: '211300401',
          title: 'Alpha all-hands',
          status: 2,
          startTime: at(-20),
          creatorNick: 'Zhou Min',
          ...withMembers(at(-20), [
            { nick: 'Zhou Min', joinedAt: 0, host: true },
            { nick: 'Li Lei', joinedAt: 1 },
            { nick: 'Chen Yu', joinedAt: 2, coHost: true },
            { nick: 'Partner Pat', joinedAt: 5, external: true },
          ]),
          invitedNum: 12,
          externalLinkUrl: link('211300401', 'a_1'),
          bizType: '3',
        },
        {
          conferenceId: alpha(2),
          roomCode: '211300402',
          title: 'Alpha roadmap review',
          status: 0,
          startTime: at(60),
          creatorNick: 'Chen Yu',
          invitedNum: 5,
          externalLinkUrl: link('211300402', 'a_2'),
          bizType: '3',
        },
        {
          conferenceId: alpha(3),
          roomCode: SHARED_ROOM_CODE,
          title: 'Alpha weekly sync',
          status: 2,
          startTime: at(-10),
          creatorNick: 'Zhou Min',
          ...withMembers(at(-10), [
            { nick: 'Zhou Min', joinedAt: 0, host: true },
            { nick: 'Chen Yu', joinedAt: 1 },
            { nick: 'Wu Hao', joinedAt: 3 },
          ]),
          invitedNum: 6,
          externalLinkUrl: link(SHARED_ROOM_CODE, 'a_3'),
          bizType: '3',
        },
      ],
    },
    {
      corpId: 'dingcorpBeta',
      name: 'Beta Ltd.',
      admins: ['beta0001'],
      meetings: [
        {
          conferenceId: beta(1),
          roomCode: '322400501',
          title: 'Beta sales kickoff',
          status: 1,
          startTime: at(-24 * 60),
          endTime: at(-24 * 60 + 45),
          creatorNick: 'Maria Beta',
          ...withMembers(at(-24 * 60), [
            { nick: 'Maria Beta', joinedAt: 0, leftAt: 45, host: true },
            { nick: 'Sun Li', joinedAt: 1, leftAt: 45 },
            { nick: 'Guo Jing', joinedAt: 2, leftAt: 30 },
            { nick: 'Ye Qing', joinedAt: 5, leftAt: 45 },
            { nick: '137****1234', joinedAt: 10, leftAt: 40, pstn: true },
          ]),
          invitedNum: 8,
          externalLinkUrl: link('322400501', 'b_1'),
          bizType: '0',
        },
        {
          conferenceId: beta(2),
          roomCode: '322400502',
          title: 'Beta design crit',
          status: 0,
          startTime: at(5),
          creatorNick: 'Sun Li',
          invitedNum: 4,
          externalLinkUrl: link('322400502', 'b_2'),
          bizType: '3',
        },
        {
          conferenceId: beta(3),
          roomCode: SHARED_ROOM_CODE,
          title: 'Beta customer call',
          status: 2,
          startTime: at(-30),
          creatorNick: 'Maria Beta',
          ...withMembers(at(-30), [
            { nick: 'Maria Beta', joinedAt: 0, host: true },
            { nick: 'Customer Carl', joinedAt: 2, external: true },
          ]),
          invitedNum: 3,
          externalLinkUrl: link(SHARED_ROOM_CODE, 'b_3'),
          bizType: '3',
        },
      ],
    },
  ]
}

/**
 * `n` orgs (for the 50-org benchmark): `dingcorpGen0001`... named "Org 1"..., admin
 * `admin0001`... of its own number. Each has room code `8` + its number in 8 digits (in progress,
 * 3 in it, title "Org i stand-up") and 500 600 700 (in progress, title "Org i weekly sync").
 */
export function generatedIsvOrgs(n: number, now: number): EmulatorOrg[] {
  if (!Number.isInteger(n) || n < 1 || n > 9999)
    throw new RangeError(`generatedIsvOrgs: n must be an integer from 1 to 9999, not ${n}`)
  const at = (minutes: number) => now + minutes * MIN
  return Array.from({ length: n }, (_, k): EmulatorOrg => {
    const i = k + 1
    const num = String(i).padStart(4, '0')
    const prefix = `c0de${i.toString(16).padStart(6, '0')}`
    const own = `8${String(i).padStart(8, '0')}`
    const running = (c: number, roomCode: string, title: string, start: number): EmulatorMeeting => ({
      conferenceId: confId(prefix, c),
      roomCode,
      title,
      status: 2,
      startTime: at(start),
      creatorNick: `Host ${i}`,
      ...withMembers(at(start), [
        { nick: `Host ${i}`, joinedAt: 0, host: true },
        { nick: `Guest ${i}a`, joinedAt: 1 },
        { nick: `Guest ${i}b`, joinedAt: 2 },
      ]),
      invitedNum: 5,
      externalLinkUrl: link(roomCode, `g${i}_${c}`),
      bizType: '3',
    })
    return {
      corpId: `dingcorpGen${num}`,
      name: `Org ${i}`,
      admins: [`admin${num}`],
      meetings: [
        running(1, own, `Org ${i} stand-up`, -15),
        running(2, SHARED_ROOM_CODE, `Org ${i} weekly sync`, -5),
      ],
    }
  })
}

/** `corpId (name), ...`: how errors name the orgs. */
export function orgList(orgs: Iterable<EmulatorOrg>): string {
  const names = [...orgs].map((o) => `${o.corpId} (${o.name})`)
  return names.length ? names.join(', ') : 'none'
}

/**
 * The timeline per org (ISV mode): `of(corpId)` acts on that org's meetings only; `routing` finds
 * the org by the room code (or conference id) and refuses a room code several orgs have.
 */
export class OrgTimelines {
  readonly routing: Timeline
  private readonly byCorp = new Map<string, Timeline>()

  constructor(
    private readonly orgs: () => ReadonlyMap<string, EmulatorOrg>,
    private readonly clock: EmulatorClock,
    private readonly sink: TimelineSink,
  ) {
    const all = () => [...orgs().values()].flatMap((o) => o.meetings)
    this.routing = new RoutingTimeline((code) => this.forCode(code), all, clock, sink)
  }

  /** The timeline of one org; a TimelineError (`notFound`) that lists the orgs for an unknown one. */
  of(corpId: string): Timeline {
    const org = this.orgs().get(corpId)
    if (!org)
      throw new TimelineError(
        'notFound',
        `no org ${corpId}; the emulator's orgs: ${orgList(this.orgs().values())}`,
      )
    let timeline = this.byCorp.get(corpId)
    if (!timeline) {
      timeline = new Timeline(() => this.orgs().get(corpId)?.meetings ?? [], this.clock, this.sink)
      this.byCorp.set(corpId, timeline)
    }
    return timeline
  }

  /** The timeline of the one org that has this meeting; `badRequest` naming the orgs when several do. */
  forCode(code: string): Timeline | undefined {
    const key = code.replace(/\s+/g, '')
    const having = [...this.orgs().values()].filter((o) =>
      o.meetings.some((m) => m.roomCode === key || m.conferenceId === key.toLowerCase()),
    )
    if (having.length > 1)
      throw new TimelineError(
        'badRequest',
        `room code ${code} is in ${having.length} orgs: ${orgList(having)}; say which with corpId`,
      )
    return having[0] ? this.of(having[0].corpId) : undefined
  }
}

/** A timeline over every org's meetings that hands each change to the org that has the meeting. */
class RoutingTimeline extends Timeline {
  constructor(
    private readonly route: (code: string) => Timeline | undefined,
    meetings: () => readonly EmulatorMeeting[],
    clock: EmulatorClock,
    sink: TimelineSink,
  ) {
    super(meetings, clock, sink)
  }

  // The org that has the meeting acts; when none has it, the base timeline says so (notFound).
  override start(code: string): EmulatorMeeting {
    return this.route(code)?.start(code) ?? super.start(code)
  }

  override end(code: string): EmulatorMeeting {
    return this.route(code)?.end(code) ?? super.end(code)
  }

  override join(code: string, nick: string, opts: JoinOptions = {}): MemberChange {
    return this.route(code)?.join(code, nick, opts) ?? super.join(code, nick, opts)
  }

  override leave(code: string, nick: string): MemberChange {
    return this.route(code)?.leave(code, nick) ?? super.leave(code, nick)
  }
}

/** `suite_ticket` over Stream (platform notes §11): data `{suiteTicket}`, from the suite's own corp. */
export function suiteTicketEvent(ticket: string, suiteCorpId: string, now: number): EventSpec {
  return {
    eventType: SUITE_TICKET,
    eventId: newEventId(),
    bornTime: now,
    corpId: suiteCorpId,
    data: JSON.stringify({ suiteTicket: ticket }),
  }
}

/**
 * `org_suite_auth` / `org_suite_relieve` over Stream, `eventCorpId` = the org. §11 names the events
 * but not their data: ours is a guess shaped like the SyncHTTP `biz_data` (`syncAction`) with the
 * org under both `authCorpId` and `corpId`, its name as `corpName`, and the `suiteKey`.
 */
export function orgLifecycleEvent(
  eventType: typeof ORG_SUITE_AUTH | typeof ORG_SUITE_RELIEVE,
  org: { corpId: string; name?: string },
  suiteKey: string,
  now: number,
): EventSpec {
  return {
    eventType,
    eventId: newEventId(),
    bornTime: now,
    corpId: org.corpId,
    data: JSON.stringify({
      syncAction: eventType,
      authCorpId: org.corpId,
      corpId: org.corpId,
      ...(org.name ? { corpName: org.name } : {}),
      suiteKey,
    }),
  }
}
