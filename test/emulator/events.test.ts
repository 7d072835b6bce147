import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { DingTalkEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js'
import {
  eventAckStatus,
  MEETING_MEMBER_STATUS_CHANGE,
  MEETING_STATUS_CHANGE,
  subscribesTo,
} from '../../src/emulator/events.js'
import { type EmulatorMeeting, sampleMeetings } from '../../src/emulator/meetings.js'
import { CLIENT_ID, fixture, SECRET, waitFor } from '../helpers/index.js'
import { type Frame, ROBOT_ONLY, streamClient, WITH_EVENTS } from '../helpers/stream-client.js'

const T0 = Date.now()

async function emulator(t: Test, stream: EmulatorOptions['stream'] = {}, meetings = sampleMeetings(T0)) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings,
    now: () => T0,
    // No re-push unless a test asks: frames are counted exactly.
    stream: { redeliverAfterMs: 0, ...stream },
  })
  t.teardown(() => emu.close())
  return emu
}

const dataOf = (f: Frame) => JSON.parse(f.data) as Record<string, unknown> & { statusSeqNum: number }
const keys = (o: unknown) => Object.keys(o as object).sort()

t.test('EVENT frames go only to connections that subscribed, shaped like DingTalk’s', async (t) => {
  const emu = await emulator(t)
  const robotOnly = await streamClient(emu, ROBOT_ONLY)
  const subscribed = await streamClient(emu, WITH_EVENTS)
  const started = emu.timeline.start('372615948')
  emu.timeline.join('372615948', 'Lucy Wang', { host: true })
  await waitFor(() => subscribed.events().length === 2, 1000, 'two events')
  await sleep(30)
  t.equal(robotOnly.frames.length, 0, 'a connection that did not subscribe to EVENT gets none')

  const [status, member] = subscribed.events() as [Frame, Frame]
  const statusFixture = fixture<Frame>('stream-event-meeting-status-change')
  t.same(keys(status.headers), keys(statusFixture.headers), 'the headers of the fixture')
  t.match(status.headers, {
    topic: '*',
    eventType: MEETING_STATUS_CHANGE,
    eventCorpId: 'dingcorpEmulator',
    eventUnifiedAppId: CLIENT_ID,
    appId: CLIENT_ID,
    eventBornTime: String(T0),
  })
  t.match(status.headers.eventId, /^evt[0-9a-f]{12}$/)
  const s = dataOf(status)
  t.same(keys(s), keys(JSON.parse(statusFixture.data)))
  t.same(keys(s.openConfModel), keys(JSON.parse(statusFixture.data).openConfModel))
  t.match(s, {
    openConfModel: { conferenceId: started.conferenceId, status: 2, startTime: T0, activeNum: 0 },
    statusSeqNum: 1,
    changeScene: 'conference_start',
  })

  const memberFixture = fixture<Frame>('stream-event-meeting-member-status-change')
  t.equal(member.headers.eventType, MEETING_MEMBER_STATUS_CHANGE)
  const m = dataOf(member)
  const [model] = m.openMemberModels as Record<string, unknown>[]
  const fixtureModel = (JSON.parse(memberFixture.data).openMemberModels as object[])[0]
  t.same(
    keys(fixtureModel).filter((k) => !(k in (model as object))),
    [],
    'every field of the fixture’s member',
  )
  t.match(m, { statusSeqNum: 2, changeScene: 'user_join' })
  t.match(model, { userNick: 'Lucy Wang', attendStatus: 3, host: true, joinTime: T0, deviceType: 'Mac' })
  t.same(
    emu.events.sent.map((e) => e.messageId),
    [status.headers.messageId, member.headers.messageId],
    'the emulator remembers what it sent',
  )
})

t.test('end: everyone still in leaves (one member event), then the status event; seq in order', async (t) => {
  const emu = await emulator(t)
  const c = await streamClient(emu)
  emu.clock.advance(10 * 60_000)
  emu.timeline.end('615902734')
  await waitFor(() => c.events().length === 2, 1000, 'two events')
  const [leaves, end] = c.events().map(dataOf) as unknown as [
    Record<string, unknown>,
    Record<string, unknown>,
  ]
  const models = leaves.openMemberModels as Array<{
    userNick: string
    attendStatus: number
    leaveTime: number
  }>
  t.equal(models.length, 5, 'the five still in')
  t.ok(models.every((x) => x.attendStatus === 6 && x.leaveTime === T0 + 10 * 60_000))
  t.match(leaves, { changeScene: 'user_leave', statusSeqNum: 1 })
  t.match(end, {
    openConfModel: { status: 1, activeNum: 0, attendNum: 6, confDuration: 35 * 60_000 },
    statusSeqNum: 2,
  })
})

t.test('no connection subscribed, or events off: nothing is pushed, and it is counted', async (t) => {
  const emu = await emulator(t, { events: false })
  const c = await streamClient(emu)
  emu.timeline.join('615902734', 'Bob')
  t.equal(emu.stream.eventsSuppressed, 1)
  t.equal(emu.events.last()?.messageId, undefined)
  emu.stream.setEvents(true)
  t.equal(emu.stream.eventsEnabled, true)
  emu.timeline.leave('615902734', 'Bob')
  await waitFor(() => c.events().length === 1, 1000, 'the leave')
  t.match(
    dataOf(c.events()[0] as Frame),
    { changeScene: 'user_leave', statusSeqNum: 2 },
    'seq counts the join',
  )

  c.ws.close()
  await waitFor(() => emu.stream.openSockets === 0, 1000, 'closed')
  await streamClient(emu, ROBOT_ONLY)
  emu.timeline.join('615902734', 'Bob')
  t.equal(emu.stream.eventsUndelivered, 1, 'no subscriber: undelivered, not thrown')
  t.equal(emu.stream.eventsPushed, 1)
})

t.test(
  'unacked events are pushed again with a new messageId; SUCCESS ends it, LATER asks again',
  async (t) => {
    const emu = await emulator(t, { redeliverAfterMs: 40, maxRedeliveries: 2 })
    const robotOnly = await streamClient(emu, ROBOT_ONLY)
    const c = await streamClient(emu)
    emu.timeline.join('615902734', 'Bob')
    await sleep(250)
    const pushes = c.events()
    t.equal(pushes.length, 3, 'first push and two re-pushes')
    t.equal(new Set(pushes.map((f) => f.headers.messageId)).size, 3, 'a new messageId each time')
    t.equal(new Set(pushes.map((f) => f.headers.eventId)).size, 1, 'the same eventId')
    t.equal(new Set(pushes.map((f) => f.data)).size, 1, 'the same data')
    t.equal(robotOnly.frames.length, 0, 're-pushes go to subscribed connections only')

    emu.timeline.leave('615902734', 'Bob')
    await waitFor(() => c.events().length === 4, 1000, 'the leave')
    const leave = c.events()[3] as Frame
    c.ack(leave.headers.messageId, { status: 'LATER' })
    await waitFor(() => c.events().length === 5, 1000, 'pushed again after LATER')
    const again = c.events()[4] as Frame
    t.equal(again.headers.eventId, leave.headers.eventId)
    c.ack(again.headers.messageId)
    await sleep(120)
    t.equal(c.events().length, 5, 'acked SUCCESS: no more pushes')
    t.match(
      emu.stream.eventAcks.map((a) => [a.eventType, a.status, a.eventId]),
      [
        [MEETING_MEMBER_STATUS_CHANGE, 'LATER', leave.headers.eventId],
        [MEETING_MEMBER_STATUS_CHANGE, 'SUCCESS', leave.headers.eventId],
      ],
    )
    t.equal((await emu.stream.waitForAck(leave.headers.messageId)).messageId, leave.headers.messageId)
    t.equal(emu.stream.acks.length, 2, 'event acks are acks too')
  },
)

t.test('test helpers: hold and release out of order, duplicate, push anything', async (t) => {
  const emu = await emulator(t)
  const c = await streamClient(emu)
  emu.events.hold()
  emu.timeline.join('615902734', 'Bob')
  emu.timeline.leave('615902734', 'Bob')
  emu.timeline.end('615902734')
  t.equal(emu.events.heldEvents.length, 4, 'join, leave, the end’s leaves, the end')
  await sleep(30)
  t.equal(c.events().length, 0, 'held back')
  const released = emu.events.release('reverse')
  await waitFor(() => c.events().length === 4, 1000, 'released')
  t.same(
    c.events().map((f) => dataOf(f).statusSeqNum),
    [4, 3, 2, 1],
    'out of order: the end first',
  )
  t.same(
    released.map((r) => r.messageId),
    c.events().map((f) => f.headers.messageId),
  )

  const first = c.events()[3] as Frame
  const dup = emu.events.duplicate(first.headers.eventId)
  await waitFor(() => c.events().length === 5, 1000, 'the duplicate')
  const d = c.events()[4] as Frame
  t.equal(d.headers.messageId, dup)
  t.not(d.headers.messageId, first.headers.messageId)
  t.equal(d.headers.eventId, first.headers.eventId, 'a duplicate keeps the eventId')
  t.equal(d.data, first.data)
  t.throws(() => emu.events.duplicate('evtnope'), /no event evtnope/)

  emu.events.hold()
  emu.timeline.start('372615948')
  emu.timeline.join('372615948', 'Zed')
  emu.events.release((held) => [held[1], held[1], held[0]].filter((x) => x !== undefined))
  await waitFor(() => c.events().length === 8, 1000, 'rearranged')
  t.same(
    c
      .events()
      .slice(5)
      .map((f) => f.headers.eventType),
    [MEETING_MEMBER_STATUS_CHANGE, MEETING_MEMBER_STATUS_CHANGE, MEETING_STATUS_CHANGE],
  )

  const junk = emu.events.push({
    eventType: 'flash_minutes_open_event',
    eventId: 'evtjunk',
    bornTime: 1,
    data: '{',
  })
  await waitFor(() => c.events().length === 9, 1000, 'junk')
  t.match(c.events()[8], { headers: { messageId: junk, eventId: 'evtjunk' }, data: '{' })
  t.equal(emu.events.last(MEETING_STATUS_CHANGE)?.spec.eventType, MEETING_STATUS_CHANGE)
  t.equal(emu.events.last()?.spec.eventId, 'evtjunk')
  t.equal(emu.events.last('nothing'), undefined)
})

t.test('pure parts: subscriptions and ack status', async (t) => {
  t.ok(subscribesTo(WITH_EVENTS, MEETING_STATUS_CHANGE))
  t.ok(subscribesTo([{ type: 'EVENT', topic: MEETING_STATUS_CHANGE }], MEETING_STATUS_CHANGE), 'by type')
  t.notOk(subscribesTo([{ type: 'EVENT', topic: 'other' }], MEETING_STATUS_CHANGE))
  t.notOk(subscribesTo([{ type: 'CALLBACK', topic: '*' }, null], MEETING_STATUS_CHANGE))
  const ack = fixture<Record<string, unknown>>('stream-event-ack')
  t.equal(eventAckStatus(ack), 'SUCCESS', 'the fixture')
  t.equal(eventAckStatus({ data: '{"status":"LATER"}' }), 'LATER')
  t.equal(eventAckStatus({ data: '{"response":null}' }), undefined, 'a CALLBACK-style ack')
  t.equal(eventAckStatus({ data: 'null' }), undefined)
  t.equal(eventAckStatus({ data: '{' }), undefined)
  t.equal(eventAckStatus({}), undefined)
})

t.test('a meeting with no members ends without a member event', async (t) => {
  const bare: EmulatorMeeting = {
    conferenceId: 'cccccccccccccccccccccccc',
    roomCode: '123123123',
    title: 'Empty',
    status: 2,
    startTime: T0,
    creatorNick: 'x',
  }
  const emu = await emulator(t, {}, [bare])
  const c = await streamClient(emu)
  emu.timeline.end('123123123')
  await waitFor(() => c.events().length === 1, 1000, 'the end')
  t.match(dataOf(c.events()[0] as Frame), {
    openConfModel: {
      status: 1,
      confDuration: 0,
      bizType: '0',
      creatorId: 'union0',
      scheduleConferenceId: '',
      calendarEventId: '',
    },
    statusSeqNum: 1,
  })
})
