import t from 'tap'
import { ChatClient, ChatError } from '../../src/chat/client.js'
import {
  describeAdvance,
  describeChange,
  type MeetingChange,
  parseChatCommand,
  parseDuration,
  span,
} from '../../src/chat/commands.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { sampleMeetings } from '../../src/emulator/meetings.js'
import { CLIENT_ID, SECRET } from '../helpers/index.js'

t.test(':advance takes s, m, h and their sums; a number alone is refused', async (t) => {
  t.equal(parseDuration('30m'), 30 * 60_000)
  t.equal(parseDuration('90s'), 90_000)
  t.equal(parseDuration('2h'), 2 * 3_600_000)
  t.equal(parseDuration('1h30m'), 90 * 60_000)
  t.equal(parseDuration('1.5h'), 90 * 60_000)
  for (const bad of ['', '30', 'm', '30x', '30m junk', '-5m', '1h 30m']) {
    t.equal(parseDuration(bad), undefined, JSON.stringify(bad))
  }
  t.same(parseChatCommand(':advance 30m'), { kind: 'advance', ms: 30 * 60_000 })
  t.throws(() => parseChatCommand(':advance 30'), /usage: :advance <time>, e\.g\. :advance 30m/)
  t.throws(() => parseChatCommand(':advance'), ChatError)
})

t.test(':start, :end, :join, :leave: room codes with spaces, names with spaces, flags', async (t) => {
  t.same(parseChatCommand(':start 372615948'), { kind: 'start', code: '372615948' })
  t.same(parseChatCommand(':start 372 615 948'), { kind: 'start', code: '372615948' })
  t.same(parseChatCommand(':end 5f1c2a9e07b3d4c6e8a10001'), { kind: 'end', code: '5f1c2a9e07b3d4c6e8a10001' })
  t.same(parseChatCommand(':join 615 902 734 Li Lei'), {
    kind: 'join',
    code: '615902734',
    nick: 'Li Lei',
    host: false,
    external: false,
    pstn: false,
  })
  t.match(parseChatCommand(':join 615902734 Bob --external --pstn'), {
    nick: 'Bob',
    external: true,
    pstn: true,
    host: false,
  })
  t.match(parseChatCommand(':join 615902734 --host 张伟'), { nick: '张伟', host: true })
  t.same(parseChatCommand(':leave 615902734 Li Lei'), { kind: 'leave', code: '615902734', nick: 'Li Lei' })
  t.throws(() => parseChatCommand(':start'), /usage: :start <room code>/)
  t.throws(() => parseChatCommand(':start 615902734 now'), /usage: :start <room code>/)
  t.throws(() => parseChatCommand(':join 615902734'), /usage: :join <room code> <name>/, 'no name')
  t.throws(() => parseChatCommand(':join Bob'), /usage: :join/, 'no code')
  t.throws(() => parseChatCommand(':join 615902734 Bob --vip'), /usage: :join/, 'an unknown flag')
  t.throws(() => parseChatCommand(':leave 615902734 Bob --host'), /usage: :leave <room code> <name>/)
  t.same(parseChatCommand(':events off'), { kind: 'events', enabled: false })
  t.throws(() => parseChatCommand(':events maybe'), /usage: :events on\|off/)
})

t.test('the older chat commands parse as before; an unknown one points to :help', async (t) => {
  t.same(parseChatCommand(':quit'), { kind: 'quit' })
  t.same(parseChatCommand(':q'), { kind: 'quit' })
  t.same(parseChatCommand(':who'), { kind: 'who' })
  t.same(parseChatCommand(':help'), { kind: 'help' })
  t.same(parseChatCommand(':as admin'), { kind: 'as', who: 'admin' })
  t.throws(() => parseChatCommand(':as'), /usage: :as/)
  t.same(parseChatCommand(':in single'), { kind: 'in', conversation: 'single' })
  t.same(parseChatCommand(':via stream'), { kind: 'via', transport: 'stream' })
  t.throws(() => parseChatCommand(':dance'), /unknown chat command ":dance" \(try :help\)/)
})

t.test('confirmations say what changed', async (t) => {
  const meeting = {
    roomCode: '615902734',
    title: 'Sprint 43 retrospective',
    status: 2,
    startTime: 0,
    activeNum: 6,
    attendNum: 7,
  }
  const join = parseChatCommand(':join 615902734 Bob')
  t.equal(
    describeChange(join, { meeting, member: { userNick: 'Bob' } }),
    'Bob joined 615 902 734 "Sprint 43 retrospective": 6 in the meeting now',
  )
  t.equal(
    describeChange(parseChatCommand(':leave 615902734 Bob'), {
      meeting: { ...meeting, activeNum: 5 },
      member: { userNick: 'Bob' },
    }),
    'Bob left 615 902 734 "Sprint 43 retrospective": 5 in the meeting now',
  )
  const ended: MeetingChange = { meeting: { ...meeting, status: 1, endTime: 35 * 60_000 + 30_000 } }
  t.equal(
    describeChange(parseChatCommand(':end 615902734'), ended),
    'ended 615 902 734 "Sprint 43 retrospective" after 35 min 30 s: 7 joined in total',
  )
  t.equal(
    describeChange(parseChatCommand(':start 615902734'), { meeting }),
    'started 615 902 734 "Sprint 43 retrospective": in progress, nobody in it yet',
  )
  t.equal(
    describeAdvance(30 * 60_000, 90 * 60_000, Date.UTC(2026, 0, 2, 3, 4, 5)),
    'emulator clock moved 30 min on: 2026-01-02T03:04:05.000Z, 1 h 30 min ahead of real time',
  )
  t.equal(span(0), '0 s')
  t.equal(span(3_600_000), '1 h')
})

t.test('the client drives the emulator’s timeline; its refusals become ChatErrors', async (t) => {
  const T0 = Date.now()
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: sampleMeetings(T0),
    now: () => T0,
    control: { info: () => ({}) },
  })
  t.teardown(() => emu.close())
  const client = new ChatClient(emu.baseUrl, 1000)
  t.same(await client.advance(60_000), { now: T0 + 60_000, offsetMs: 60_000 })
  const started = await client.meeting<MeetingChange>('372615948', 'start')
  t.match(started.meeting, { status: 2, startTime: T0 + 60_000 })
  const joined = await client.meeting<MeetingChange>('372615948', 'join', { nick: 'Bob', host: true })
  t.match(joined, { meeting: { activeNum: 1 }, member: { userNick: 'Bob', host: true } })
  t.same(await client.setEvents(false), { enabled: false })
  t.equal(emu.stream.eventsEnabled, false)
  const refused = await client.meeting('583480813', 'join', { nick: 'Bob' }).catch((e: unknown) => e)
  t.type(refused, ChatError)
  t.match((refused as Error).message, /not in progress \(not started\); start it first/)
  const gone = new ChatClient('http://127.0.0.1:9', 500)
  await t.rejects(gone.advance(1000), /cannot reach the bot's DingTalk emulator/)
})
