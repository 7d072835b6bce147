import t, { type Test } from 'tap'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { sampleMeetings } from '../../src/emulator/meetings.js'
import { CLIENT_ID, SECRET, waitFor } from '../helpers/index.js'
import { streamClient } from '../helpers/stream-client.js'

const T0 = Date.now()
const MIN = 60_000

async function emulator(t: Test) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: sampleMeetings(T0),
    now: () => T0,
    stream: { redeliverAfterMs: 0 },
    control: { info: () => ({ botUrl: 'http://bot', meetings: 'the emulator says' }) },
  })
  t.teardown(() => emu.close())
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${emu.baseUrl}/_emulator${path}`, {
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const info = async () =>
    (await (await fetch(`${emu.baseUrl}/_emulator/info`)).json()) as {
      botUrl: string
      now: number
      eventsEnabled: boolean
      meetings: Array<{ roomCode: string; status: number; activeNum: number }>
    }
  return { emu, post, info }
}

t.test('clock, start, join, leave, end through the control API; info shows the status now', async (t) => {
  const { emu, post, info } = await emulator(t)
  const before = await info()
  t.equal(before.botUrl, 'http://bot', "the app's part of info")
  t.equal(before.now, T0)
  t.match(
    before.meetings.find((m) => m.roomCode === '372615948'),
    { status: 0 },
    'the meetings are the emulator’s own, not what the app said',
  )

  t.same((await post('/clock/advance', { ms: 5 * MIN })).body, { now: T0 + 5 * MIN, offsetMs: 5 * MIN })
  const started = await post('/meetings/372615948/start')
  t.equal(started.status, 200)
  t.match(started.body, {
    meeting: { roomCode: '372615948', status: 2, startTime: T0 + 5 * MIN, statusSeqNum: 1 },
  })
  const joined = await post('/meetings/372 615 948/join', {
    nick: 'Bob',
    external: true,
    pstn: true,
    host: true,
  })
  t.match(joined.body, {
    meeting: { activeNum: 1, attendNum: 1 },
    member: { userNick: 'Bob', attendStatus: 3, outerOrgMember: true, pstnJoin: true, host: true },
  })
  await post('/clock/advance', { ms: 3 * MIN })
  const left = await post('/meetings/372615948/leave', { nick: 'Bob' })
  t.match(left.body, { meeting: { activeNum: 0 }, member: { attendStatus: 6, duration: 3 * MIN } })
  t.match(
    (await info()).meetings.find((m) => m.roomCode === '372615948'),
    { status: 2, activeNum: 0 },
  )
  const ended = await post('/meetings/372615948/end')
  t.match(ended.body, { meeting: { status: 1, endTime: T0 + 8 * MIN, attendNum: 1 } })
  t.match(
    (await info()).meetings.find((m) => m.roomCode === '372615948'),
    { status: 1 },
  )
  t.equal(emu.meetings.find((m) => m.roomCode === '372615948')?.statusSeqNum, 4)
})

t.test('refusals: the state says no (409), no such meeting (404), a bad body (400)', async (t) => {
  const { post } = await emulator(t)
  const conflict = await post('/meetings/583480813/join', { nick: 'Bob' })
  t.equal(conflict.status, 409)
  t.match(conflict.body, { error: 'conflict', message: /not in progress \(not started\); start it first/ })
  const missing = await post('/meetings/999999999/start')
  t.equal(missing.status, 404)
  t.match(missing.body, { error: 'notFound', message: 'no meeting 999999999' })
  t.equal((await post('/meetings/615902734/join', { nick: '' })).status, 400, 'an empty name')
  t.equal((await post('/meetings/615902734/join', {})).status, 400, 'no name')
  t.equal((await post('/meetings/615902734/join')).status, 400, 'no body')
  t.equal((await post('/meetings/615902734/dance')).status, 404)
  for (const body of [{}, { ms: -1 }, { ms: '30m' }, undefined]) {
    t.equal((await post('/clock/advance', body)).status, 400, `advance ${JSON.stringify(body)}`)
  }
  t.equal((await post('/events', { enabled: 'yes' })).status, 400)
})

t.test('POST /_emulator/events turns EVENT frames off and on', async (t) => {
  const { emu, post, info } = await emulator(t)
  const c = await streamClient(emu)
  t.same((await post('/events', { enabled: false })).body, { enabled: false })
  t.equal((await info()).eventsEnabled, false)
  await post('/meetings/615902734/join', { nick: 'Bob' })
  t.same((await post('/events', { enabled: true })).body, { enabled: true })
  await post('/meetings/615902734/leave', { nick: 'Bob' })
  await waitFor(() => c.events().length === 1, 1000, 'one event')
  t.match(
    JSON.parse((c.events()[0] as { data: string }).data),
    { changeScene: 'user_leave' },
    'only the leave',
  )
  t.equal(emu.stream.eventsSuppressed, 1)
})
