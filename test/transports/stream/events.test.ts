import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { type App, createApp } from '../../../src/app/index.js'
import type { EventContext, EventOutcome, InboundEvent } from '../../../src/core/event.js'
import type { Feature } from '../../../src/core/feature.js'
import { DingTalkEmulator, type EmulatorOptions } from '../../../src/emulator/emulator.js'
import { type EventSpec, newEventId } from '../../../src/emulator/events.js'
import { TOPIC_ROBOT } from '../../../src/emulator/gateway.js'
import { MemoryStore } from '../../../src/store/memory.js'
import {
  CLIENT_ID,
  captureLogger,
  FAST,
  FAST_STREAM,
  fixture,
  fixtureMeetings,
  robotMessage,
  SECRET,
  signedHeaders,
  streamTransport,
  testConfig,
  waitFor,
} from '../../helpers/index.js'

/** Handled by the test feature only: whatever the bot's own features handle, they leave it alone. */
const TEST_TYPE = 'meetingbot_test_event'
const NOBODY_HANDLES = 'meetingbot_unhandled_event'
const MEMBER_DATA = fixture<{ data: string }>('stream-event-meeting-member-status-change').data

/** A feature of this test's own: records every event it gets; `behaviour` says what it does. */
function testFeature() {
  const calls: EventContext[] = []
  const state = { behaviour: async (_ctx: EventContext): Promise<void> => {} }
  const feature: Feature = {
    name: 'test-events',
    events: {
      [TEST_TYPE]: async (ctx) => {
        calls.push(ctx)
        await state.behaviour(ctx)
      },
    },
  }
  return { feature, calls, state }
}

/** The emulator and the whole app on the Stream transport (and HTTP, for /status), with the test feature. */
async function eventStack(t: Test, gateway: EmulatorOptions['stream'] = {}) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
    stream: gateway,
  })
  const { log, capture } = captureLogger()
  const test = testFeature()
  const app: App = await createApp({
    config: testConfig(emu, { DINGTALK_TRANSPORTS: 'stream,http' }),
    log,
    tuning: { ...FAST, stream: FAST_STREAM },
    store: new MemoryStore(),
    extraFeatures: [test.feature],
  })
  const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.stop()
    await emu.close()
  })
  const gw = emu.stream
  await waitFor(() => gw.openSockets === 1 && app.stream?.status().state === 'connected', 5000, 'connected')
  const handledLines = (eventId: string) => capture.find('event handled').filter((l) => l.eventId === eventId)
  return { emu, gw, app, url, capture, handledLines, ...test }
}

function spec(over: Partial<EventSpec> = {}): EventSpec {
  return {
    eventType: TEST_TYPE,
    eventId: newEventId(),
    bornTime: Date.now() - 50,
    data: MEMBER_DATA,
    ...over,
  }
}

const statusOf = (ack: { frame: Record<string, unknown> }) =>
  (JSON.parse(String(ack.frame.data)) as { status: string }).status

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text()
}

t.test('an event reaches the feature’s handler once, parsed; acked SUCCESS; one line, counted', async (t) => {
  const s = await eventStack(t)
  t.same(
    s.gw.lastSubscriptions,
    [
      { type: 'CALLBACK', topic: TOPIC_ROBOT },
      { type: 'EVENT', topic: '*' },
    ],
    'a feature handles events: the open call subscribes to them',
  )
  const event = spec()
  const messageId = s.emu.events.push(event) as string
  const ack = await s.gw.waitForAck(messageId)
  t.equal(statusOf(ack), 'SUCCESS')
  t.same(ack.frame.headers, { contentType: 'application/json', messageId }, 'on the frame’s messageId')
  t.equal(s.calls.length, 1)
  const got = s.calls[0] as EventContext
  t.same(got.event, {
    id: event.eventId,
    type: TEST_TYPE,
    corpId: 'dingcorpEmulator',
    bornAt: event.bornTime,
    receivedAt: got.event.receivedAt,
    transport: 'stream',
    data: JSON.parse(MEMBER_DATA),
  } satisfies InboundEvent)
  t.ok(got.event.receivedAt >= event.bornTime)
  t.match(s.handledLines(event.eventId), [
    { eventType: TEST_TYPE, outcome: 'handled', handlers: 1, durationMs: Number, transport: 'stream' },
  ])
  t.equal(s.handledLines(event.eventId)[0]?.ref, undefined, 'no ref without a failure')
  t.match(s.gw.eventAcks, [{ eventId: event.eventId, status: 'SUCCESS' }])
  t.match(s.app.stats.tally.events, { received: 1, handled: 1, duplicates: 0, ignored: 0, failed: 0 })
  t.match(await metrics(s.url), `meetingbot_events_total{type="${TEST_TYPE}",outcome="handled"} 1`)
})

t.test('the same eventId pushed again, even while the first is being handled, runs once', async (t) => {
  const s = await eventStack(t, { redeliverAfterMs: 200 })
  const event = spec()
  await s.gw.waitForAck(s.emu.events.push(event) as string)
  const again = s.emu.events.duplicate(event.eventId) as string
  t.equal(statusOf(await s.gw.waitForAck(again)), 'SUCCESS', 'a duplicate is acked SUCCESS')
  t.equal(s.calls.length, 1)
  t.same(
    s.handledLines(event.eventId).map((l) => l.outcome),
    ['handled', 'duplicate'],
  )

  // A slow handler: DingTalk has no ack yet and pushes it again; the copy waits for the first.
  let release: () => void = () => {}
  s.state.behaviour = () => new Promise<void>((r) => (release = r))
  const slow = spec()
  s.emu.events.push(slow)
  await waitFor(() => s.gw.redelivered >= 1, 3000, 'a re-push while the handler works')
  release()
  await waitFor(
    () => s.gw.eventAcks.filter((a) => a.eventId === slow.eventId).length >= 2,
    3000,
    'both acked',
  )
  t.equal(s.calls.filter((c) => c.event.id === slow.eventId).length, 1, 'handled once')
  t.ok(
    s.gw.eventAcks.filter((a) => a.eventId === slow.eventId).every((a) => a.status === 'SUCCESS'),
    'both pushes acked SUCCESS',
  )
  t.match(s.app.stats.tally.events, { handled: 2 })
})

t.test('the ack is lost with its socket: the re-push on the next socket is a duplicate', async (t) => {
  const s = await eventStack(t, { redeliverAfterMs: 300 })
  let release: () => void = () => {}
  s.state.behaviour = () => new Promise<void>((r) => (release = r))
  const event = spec()
  s.emu.events.push(event)
  await waitFor(() => s.calls.length === 1, 3000, 'handler running')
  t.equal(s.gw.dropAll(), 1)
  await waitFor(() => s.app.stream?.status().reconnects === 1, 5000, 'the bot noticed and reconnected')
  release()
  await waitFor(
    () => s.capture.find('socket closed before the event ack; DingTalk pushes it again').length === 1,
    3000,
    'the lost ack',
  )
  await waitFor(() => s.gw.eventAcks.some((a) => a.eventId === event.eventId), 5000, 'the re-push acked')
  t.match(s.gw.eventAcks, [{ eventId: event.eventId, status: 'SUCCESS' }])
  t.equal(s.calls.length, 1, 'the handler ran once')
  t.same(
    s.handledLines(event.eventId).map((l) => l.outcome),
    ['handled', 'duplicate'],
  )
})

t.test('a handler that throws: LATER, logged with a ref, counted; the re-push runs it again', async (t) => {
  const s = await eventStack(t, { redeliverAfterMs: 150 })
  let failures = 1
  s.state.behaviour = async () => {
    if (failures-- > 0) throw new Error('the watch store is away')
  }
  const event = spec()
  s.emu.events.push(event)
  await waitFor(
    () => s.gw.eventAcks.filter((a) => a.eventId === event.eventId).length === 2,
    5000,
    'two acks',
  )
  t.same(
    s.gw.eventAcks.map((a) => a.status),
    ['LATER', 'SUCCESS'],
  )
  t.equal(s.calls.length, 2, 'run again on the re-push')
  const [failed] = s.capture.find('event handler failed')
  t.match(failed, {
    level: 50,
    eventId: event.eventId,
    eventType: TEST_TYPE,
    failure: 'internal',
    ref: /^[2-9A-HJKMNP-Z]{6}$/,
    err: { message: 'the watch store is away' },
  })
  t.match(s.handledLines(event.eventId), [
    { outcome: 'failed', ref: failed?.ref },
    { outcome: 'handled', ref: undefined },
  ])
  t.match(s.app.stats.tally.events, { received: 2, handled: 1, failed: 1 })
  const m = await metrics(s.url)
  t.match(m, `meetingbot_events_total{type="${TEST_TYPE}",outcome="failed"} 1`)
  t.match(m, `meetingbot_events_total{type="${TEST_TYPE}",outcome="handled"} 1`)

  const res = await fetch(`${s.url}/dingtalk/callback`, {
    method: 'POST',
    headers: signedHeaders(),
    body: JSON.stringify(
      robotMessage({
        text: '/status',
        isAdmin: true,
        senderStaffId: 'admin0001',
        sessionWebhook: s.emu.newSessionWebhook(),
      }),
    ),
  })
  const text = ((await res.json()) as { markdown: { text: string } }).markdown.text
  t.match(
    text,
    '- **Events:** 2 received: 1 handled, 0 duplicates ignored, 0 of types nobody handles, 1 failed (pushed again)',
  )
})

t.test('an event type nobody handles: SUCCESS, ignored, counted as other', async (t) => {
  const s = await eventStack(t)
  const event = spec({ eventType: NOBODY_HANDLES })
  t.equal(statusOf(await s.gw.waitForAck(s.emu.events.push(event) as string)), 'SUCCESS')
  t.equal(s.calls.length, 0)
  t.match(s.handledLines(event.eventId), [{ eventType: NOBODY_HANDLES, outcome: 'ignored', handlers: 0 }])
  t.match(s.app.stats.tally.events, { received: 1, ignored: 1 })
  t.match(await metrics(s.url), 'meetingbot_events_total{type="other",outcome="ignored"} 1')
})

t.test('an EVENT frame that is no usable event: SUCCESS, reported without its content', async (t) => {
  const s = await eventStack(t)
  const headers = { messageId: 'badEvent1', topic: '*', eventType: TEST_TYPE, eventId: 'not an id' }
  s.gw.sendRaw(JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers, data: '{"secret":"LEAK-ME"}' }))
  const noData = { messageId: 'badEvent2', topic: '*', eventType: TEST_TYPE, eventId: newEventId() }
  s.gw.sendRaw(JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers: noData, data: 'LEAK-ME {' }))
  t.equal(statusOf(await s.gw.waitForAck('badEvent1')), 'SUCCESS')
  t.equal(statusOf(await s.gw.waitForAck('badEvent2')), 'SUCCESS')
  t.match(s.capture.find('unusable stream frame ignored'), [
    { reason: 'EVENT frame without a usable eventId' },
    { reason: 'EVENT data is not JSON' },
  ])
  t.equal(s.calls.length, 0)
  t.equal(s.app.stats.tally.events.received, 0, 'never reached the core')
  t.notOk(s.capture.raw.includes('LEAK-ME'), 'no frame content in the logs')
})

t.test(
  'the transport alone: no EVENT subscription unless told; events count towards its bound',
  async (t) => {
    const plain = await streamTransport(t, async () => 'ignored')
    plain.stream.start()
    await waitFor(() => plain.stream.status().state === 'connected', 5000, 'connected')
    t.same(plain.gw.lastSubscriptions, [{ type: 'CALLBACK', topic: TOPIC_ROBOT }], 'no EVENT topic')

    const got: string[] = []
    const settle: Array<(o: EventOutcome) => void> = []
    const port = {
      handle: async () => 'ignored' as const,
      keep: async () => true,
      cardAction: async () => ({ outcome: 'ignored' as const }),
      busy: () => false,
      event: (evt: InboundEvent) => {
        got.push(evt.id)
        return new Promise<EventOutcome>((r) => settle.push(r))
      },
    }
    const s = await streamTransport(t, port.handle, { port, subscribeEvents: true, maxPending: 1 })
    s.stream.start()
    await waitFor(() => s.stream.status().state === 'connected', 5000, 'connected')
    t.match(s.gw.lastSubscriptions, [{ type: 'CALLBACK' }, { type: 'EVENT', topic: '*' }])
    const first = spec()
    const second = spec()
    const firstId = s.gw.pushEvent(first) as string
    await waitFor(() => got.length === 1, 3000, 'the first event at the port')
    s.gw.pushEvent(second)
    await sleep(150)
    t.same(got, [first.eventId], 'full: the socket is not read')
    t.equal(s.gw.ackFor(firstId), undefined, 'not acked before the core is through')
    settle.shift()?.('handled')
    await waitFor(() => got.length === 2, 3000, 'read again once there is room')
    t.equal(statusOf(await s.gw.waitForAck(firstId)), 'SUCCESS')
    settle.shift()?.('failed')
    await waitFor(() => s.gw.eventAcks.length === 2, 3000, 'the second acked')
    t.same(
      s.gw.eventAcks.map((a) => [a.eventId, a.status]),
      [
        [first.eventId, 'SUCCESS'],
        [second.eventId, 'LATER'],
      ],
    )
  },
)
