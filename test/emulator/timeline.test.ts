import t, { type Test } from 'tap'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { type EmulatorMeeting, sampleMeetings } from '../../src/emulator/meetings.js'
import { ATTEND, countsOf, crowd } from '../../src/emulator/members.js'
import { EmulatorClock, TimelineError } from '../../src/emulator/timeline.js'
import { CLIENT_ID, fixture, SECRET } from '../helpers/index.js'

const MIN = 60_000

/** Real time stands still here: durations come out exact. */
const T0 = Date.now()

async function emulator(t: Test, meetings: EmulatorMeeting[]) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings,
    now: () => T0,
  })
  t.teardown(() => emu.close())
  const res = await fetch(`${emu.baseUrl}/v1.0/oauth2/accessToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appKey: CLIENT_ID, appSecret: SECRET }),
  })
  const { accessToken } = (await res.json()) as { accessToken: string }
  const get = async (path: string, token = accessToken) => {
    const r = await fetch(`${emu.baseUrl}${path}`, { headers: { 'x-acs-dingtalk-access-token': token } })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  return { emu, get }
}

type Member = Record<string, unknown> & { userNick: string }
const membersOf = async (get: (p: string) => Promise<{ body: Record<string, unknown> }>, id: string) =>
  (await get(`/v1.0/conference/videoConferences/${id}/members`)).body.memberModels as Member[]

const upcoming = (): EmulatorMeeting => ({
  conferenceId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  roomCode: '372615948',
  title: 'Design sync',
  status: 0,
  startTime: T0 + 5 * MIN,
  creatorNick: 'Lucy Wang',
  invitedNum: 6,
})

t.test('the clock: real time plus what was added, never backwards', async (t) => {
  const clock = new EmulatorClock()
  const before = Date.now()
  t.ok(clock.now() >= before && clock.now() < before + 1000)
  const later = clock.advance(30 * MIN)
  t.ok(later >= before + 30 * MIN, 'half an hour on')
  t.equal(clock.offsetMs, 30 * MIN)
  t.throws(() => clock.advance(-1), TimelineError)
  t.throws(() => clock.advance(Number.NaN), /ms must be a number/)
})

t.test(
  'start, join, time passes, leave, rejoin, end: what the conference and members APIs answer',
  async (t) => {
    const { emu, get } = await emulator(t, [upcoming()])
    const id = 'aaaaaaaaaaaaaaaaaaaaaaaa'
    t.same(await membersOf(get, id), [], 'no list yet: an empty one')

    const started = emu.timeline.start('372 615 948')
    t.equal(started.status, 2)
    t.equal(started.startTime, T0, 'starts now, by the emulator clock')
    t.equal(started.statusSeqNum, 1)

    emu.timeline.join('372615948', 'Lucy Wang', { host: true })
    emu.timeline.join('372615948', 'Bob', { external: true })
    emu.timeline.join(id, '+86 139', { pstn: true })
    let info = (await get(`/v1.0/conference/videoConferences/${id}`)).body.confInfo as Record<string, number>
    t.match(info, { status: 2, activeNum: 3, attendNum: 3, invitedNum: 6 })

    emu.clock.advance(10 * MIN)
    emu.timeline.leave('372615948', 'Bob')
    emu.clock.advance(5 * MIN)
    let members = await membersOf(get, id)
    const bob = members.find((m) => m.userNick === 'Bob') as Member
    t.match(bob, { attendStatus: ATTEND.left, duration: 10 * MIN, outerOrgMember: true, host: false })
    t.equal((bob.leaveTime as number) - (bob.joinTime as number), 10 * MIN)
    const lucy = members.find((m) => m.userNick === 'Lucy Wang') as Member
    t.match(lucy, { attendStatus: ATTEND.inMeeting, host: true, coHost: false, pstnJoin: false })
    t.ok(
      Math.abs((lucy.duration as number) - 15 * MIN) < 100,
      'a member in the meeting: duration follows the clock',
    )
    t.match(
      members.find((m) => m.userNick === '+86 139'),
      { pstnJoin: true },
    )

    emu.timeline.join('372615948', 'Bob')
    emu.clock.advance(2 * MIN)
    info = (await get(`/v1.0/conference/videoConferences/${id}`)).body.confInfo as Record<string, number>
    t.match(info, { activeNum: 3, attendNum: 3 }, 'a rejoin is not a new attendee')
    members = await membersOf(get, id)
    t.equal(members.filter((m) => m.userNick === 'Bob').length, 1, 'the same member')
    const back = members.find((m) => m.userNick === 'Bob') as Member
    t.equal(back.leaveTime, undefined)
    t.equal(back.unionId, bob.unionId, 'the same unionId after a rejoin')
    t.equal(back.duration, 12 * MIN, 'earlier stint plus the running one')

    const ended = emu.timeline.end(id)
    t.equal(ended.status, 1)
    t.equal(ended.endTime, T0 + 17 * MIN, 'ends now, by the emulator clock')
    info = (await get(`/v1.0/conference/videoConferences/${id}`)).body.confInfo as Record<string, number>
    t.match(info, { status: 1, activeNum: 0, attendNum: 3 })
    t.equal(info.confDuration, 17 * MIN, 'confDuration from the emulator clock')
    members = await membersOf(get, id)
    t.ok(
      members.every((m) => m.attendStatus === ATTEND.left && m.leaveTime === ended.endTime),
      'everyone still in left with the meeting',
    )
    // start, 3 joins, leave, rejoin, the end's leaves, the end.
    t.equal(ended.statusSeqNum, 8)
  },
)

t.test('what the timeline refuses, and why', async (t) => {
  const meetings = sampleMeetings(T0)
  const { emu } = await emulator(t, meetings)
  const kind = (fn: () => unknown) => {
    try {
      fn()
    } catch (err) {
      return `${(err as TimelineError).kind}: ${(err as Error).message}`
    }
    return 'no error'
  }
  t.match(
    kind(() => emu.timeline.start('999999999')),
    /^notFound: no meeting 999999999/,
  )
  t.match(
    kind(() => emu.timeline.join('583480813', 'Bob')),
    /^conflict: .*not in progress \(not started\); start it first/,
  )
  t.match(
    kind(() => emu.timeline.end('427212345')),
    /^conflict: 427212345 is not in progress \(ended\)$/,
  )
  t.match(
    kind(() => emu.timeline.start('615902734')),
    /^conflict: 615902734 \(Sprint 43 retrospective\) is already in progress/,
  )
  t.match(
    kind(() => emu.timeline.start('427212345')),
    /^conflict: 427212345 has no meeting that has not started/,
  )
  t.match(
    kind(() => emu.timeline.join('615902734', '张伟')),
    /^conflict: 张伟 is already in/,
  )
  t.match(
    kind(() => emu.timeline.leave('615902734', 'Han Meimei')),
    /^conflict: Han Meimei is not in/,
    'left already',
  )
  t.match(
    kind(() => emu.timeline.join('615902734', '  ')),
    /^badRequest: a name is needed/,
  )
  // A recurring room code: start takes the next one not started, the rest the one running.
  t.match(
    kind(() => emu.timeline.start('728301956')),
    /already in progress/,
  )
  const live = meetings.find((m) => m.roomCode === '728301956' && m.status === 2) as EmulatorMeeting
  t.equal(emu.timeline.end('728301956'), live)
  const next = emu.timeline.start('728301956')
  t.equal(next.conferenceId, meetings.find((m) => m.roomCode === '728301956' && m.status === 2)?.conferenceId)
  t.not(next, live)
})

t.test('members API: pages of 128, nextToken "0" at the end, errors like the conference API', async (t) => {
  const start = T0 - 60 * MIN
  const crowded: EmulatorMeeting = {
    conferenceId: 'bbbbbbbbbbbbbbbbbbbbbbbb',
    roomCode: '111222333',
    title: 'All hands',
    status: 2,
    startTime: start,
    creatorNick: 'CEO',
    members: crowd(
      start,
      Array.from({ length: 300 }, (_, i) => ({ nick: `person ${i}`, joinedAt: i % 30 })),
    ),
  }
  const { emu, get } = await emulator(t, [crowded, ...fixtureMeetingsWithForbidden()])
  const path = '/v1.0/conference/videoConferences/bbbbbbbbbbbbbbbbbbbbbbbb/members'
  const first = await get(path)
  t.equal((first.body.memberModels as unknown[]).length, 128, '128 by default')
  t.equal(first.body.nextToken, '128')
  t.equal(first.body.totalCount, 300)
  const zero = await get(`${path}?nextToken=0`)
  t.same(zero.body, first.body, 'nextToken "0" is the first page too')
  const last = await get(`${path}?maxResults=100&nextToken=200`)
  t.equal((last.body.memberModels as Member[])[0]?.userNick, 'person 200')
  t.equal((last.body.memberModels as unknown[]).length, 100)
  t.equal(last.body.nextToken, '0', 'no next page')

  const shape = fixture<{ memberModels: Record<string, unknown>[] }>('conference-members').memberModels[0]
  const model = (first.body.memberModels as Record<string, unknown>[])[0] as Record<string, unknown>
  t.same(Object.keys(model).sort(), Object.keys(shape as object).sort(), 'shaped like the fixture')

  t.equal((await get('/v1.0/conference/videoConferences/ffffffffffffffffffffffff/members')).status, 404)
  t.match((await get('/v1.0/conference/videoConferences/ffffffffffffffffffffffff/members')).body, {
    code: 'roomNotFound',
  })
  const forbidden = await get('/v1.0/conference/videoConferences/0a1b2c3d4e5f60718293a4b5/members')
  t.equal(forbidden.status, 403)
  t.match(forbidden.body, { code: 'noPermission' })
  const noToken = await get(path, 'nope')
  t.equal(noToken.status, 400)
  t.match(noToken.body, { code: 'InvalidAuthentication' })
  emu.fail('conference.members', { status: 500 })
  t.equal((await get(path)).status, 500, 'a fault target')
  t.equal(emu.count('conference.members'), 8, 'every call counted, whatever its outcome')
})

t.test('sample meetings: members agree with the counts; the live one has every kind', async (t) => {
  const ms = sampleMeetings(Date.now())
  for (const m of ms.filter((x) => x.members)) {
    t.same(countsOf(m.members ?? []), { activeNum: m.activeNum, attendNum: m.attendNum }, m.title)
  }
  const live = ms.find((m) => m.roomCode === '615902734') as EmulatorMeeting
  t.match(live, { status: 2, activeNum: 5, attendNum: 6, invitedNum: 14 }, 'the card reads as before')
  const members = live.members ?? []
  t.ok(members.some((m) => m.host))
  t.ok(members.some((m) => m.coHost))
  t.ok(members.some((m) => m.outerOrgMember))
  t.ok(members.some((m) => m.pstnJoin))
  t.ok(members.some((m) => m.attendStatus === ATTEND.left))
  const ended = ms.find((m) => m.roomCode === '427212345') as EmulatorMeeting
  t.equal(ended.members?.length, 12)
  t.ok(ended.members?.every((m) => m.attendStatus === ATTEND.left && (m.duration ?? 0) > 0))
  const soon = ms.filter((m) => m.status === 0 && m.startTime - Date.now() < 10 * MIN)
  t.equal(soon.length, 1, 'one meeting starts in a few minutes, to try :start on')
})

function fixtureMeetingsWithForbidden(): EmulatorMeeting[] {
  return [
    {
      conferenceId: '0a1b2c3d4e5f60718293a4b5',
      roomCode: '100200300',
      title: 'Restricted',
      status: 2,
      startTime: T0,
      creatorNick: 'x',
      forbidden: true,
    },
  ]
}
