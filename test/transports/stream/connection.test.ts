import t, { type Test } from 'tap'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import {
  type ClientEvents,
  GatewayClient,
  type GatewayClientOptions,
  GatewayOpenError,
  TOPIC_ROBOT,
} from '../../../src/transports/stream/connection.js'
import { CLIENT_ID, SECRET } from '../../helpers/index.js'

function recorder() {
  const seen: string[] = []
  const events: ClientEvents = {
    robotFrame: (_data, id, ack) => seen.push(`robot ${id} acked=${ack()}`),
    eventFrame: (frame, id, ack) => seen.push(`event ${id} ${frame.headers.eventType} acked=${ack('LATER')}`),
    disconnectAnnounced: () => seen.push('disconnect'),
    badFrame: (reason) => seen.push(`bad ${reason}`),
    closed: (code) => seen.push(`closed ${code}`),
  }
  return { seen, events }
}

function gatewayClient(over: Partial<GatewayClientOptions> & Pick<GatewayClientOptions, 'events'>) {
  return new GatewayClient({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    apiBase: 'http://127.0.0.1:9',
    ua: 'test',
    timeoutMs: 1000,
    ...over,
  })
}

async function emulator(t: Test) {
  const emu = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings: [] })
  t.teardown(() => emu.close())
  return emu
}

const frame = (type: string, topic: string, messageId = 'm1') =>
  JSON.stringify({ type, headers: { topic, messageId }, data: '{"opaque":1}' })

t.test('a frame on a socket that is still connecting is handed over unacked, never thrown', async (t) => {
  const emu = await emulator(t)
  const { seen, events } = recorder()
  const c = gatewayClient({ apiBase: emu.baseUrl, events })
  await c.getEndpoint()
  const opening = c._connect()
  t.equal(c.isOpen, false)
  // ws.send() throws while CONNECTING; the SDK's ack and ping answer would crash here.
  t.doesNotThrow(() => c.onDownStream(frame('CALLBACK', TOPIC_ROBOT)))
  t.doesNotThrow(() => c.onDownStream(frame('SYSTEM', 'ping')))
  t.doesNotThrow(() => c.onDownStream(frame('EVENT', 'x')))
  t.same(seen, ['robot m1 acked=false', 'event m1 undefined acked=false'])
  await opening
  t.equal(c.isOpen, true)
  await c.shutdown(100)
  t.same(seen.at(-1), 'closed 1000')
})

t.test(
  'an EVENT frame is handed over with an ack of its status, on its socket; a CALLBACK on another topic is acked, reported',
  async (t) => {
    const emu = await emulator(t)
    const { seen, events } = recorder()
    const c = gatewayClient({ apiBase: emu.baseUrl, events })
    t.teardown(() => c.shutdown(100))
    await c.open()
    const headers = { topic: '*', messageId: 'ev1', eventType: 'meeting_status_change', eventId: 'e1' }
    emu.stream.sendRaw(JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers, data: '{"opaque":1}' }))
    emu.stream.sendRaw(JSON.stringify({ type: 'EVENT', headers: { topic: '*', eventId: 'e2' }, data: '{}' }))
    const card = emu.stream.push({ opaque: 1 }, { topic: '/v1.0/card/instances/callback' })
    const eventAck = await emu.stream.waitForAck('ev1')
    t.same(eventAck.frame, {
      code: 200,
      headers: { contentType: 'application/json', messageId: 'ev1' },
      message: 'OK',
      data: '{"status":"LATER"}',
    })
    const cardAck = await emu.stream.waitForAck(card)
    t.equal(cardAck.frame.data, '{"response":null}')
    t.same(seen, [
      'event ev1 meeting_status_change acked=true',
      'bad EVENT frame without messageId',
      'bad CALLBACK frame that is not a robot message',
    ])
  },
)

t.test('the open call subscribes to EVENT frames only when told to', async (t) => {
  const emu = await emulator(t)
  const robotOnly = [{ type: 'CALLBACK', topic: TOPIC_ROBOT }]
  for (const [subscribeEvents, expected] of [
    [false, robotOnly],
    [true, [...robotOnly, { type: 'EVENT', topic: '*' }]],
  ] as const) {
    const c = gatewayClient({ apiBase: emu.baseUrl, events: recorder().events, subscribeEvents })
    await c.getEndpoint()
    t.same(emu.stream.lastSubscriptions, expected, `subscribeEvents: ${subscribeEvents}`)
  }
})

t.test('SYSTEM disconnect and frames that are not usable are reported', async (t) => {
  const { seen, events } = recorder()
  const c = gatewayClient({ events })
  c.onDownStream(frame('SYSTEM', 'disconnect'))
  c.onDownStream(frame('SYSTEM', 'KEEPALIVE'))
  c.onDownStream(frame('CALLBACK', '/v1.0/card/instances/callback'))
  c.onDownStream(JSON.stringify({ type: 'CALLBACK', headers: { topic: TOPIC_ROBOT } }))
  c.onDownStream(
    JSON.stringify({ type: 'CALLBACK', headers: { topic: TOPIC_ROBOT, messageId: 'm2' }, data: 7 }),
  )
  c.onDownStream('{"type":')
  c.onDownStream(JSON.stringify({ type: 5, headers: {} }))
  c.onDownStream(JSON.stringify({ type: 'OTHER', headers: {} }))
  t.same(seen, [
    'disconnect',
    'bad CALLBACK frame that is not a robot message',
    'bad CALLBACK frame without messageId',
    'bad CALLBACK frame that is not a robot message',
    'bad not JSON (8 bytes)',
    'bad not a stream frame',
    'bad unknown frame type OTHER',
  ])
})

t.test('a gateway answer the client cannot use is a GatewayOpenError without the ticket', async (t) => {
  const answers: Array<[number, unknown, RegExp]> = [
    [200, { endpoint: 'https://x/connect', ticket: 'TICKET-1' }, /https: endpoint/],
    [200, { endpoint: 'not a url', ticket: 'TICKET-1' }, /not a URL/],
    [200, { endpoint: 'wss://x/connect' }, /without endpoint or ticket/],
    [200, 'plain text', /without endpoint or ticket/],
    [403, { code: 'Forbidden.AccessDenied', message: 'TICKET-1?' }, /HTTP 403 Forbidden.AccessDenied$/],
  ]
  for (const [status, body, reason] of answers) {
    const { events } = recorder()
    const c = gatewayClient({
      events,
      fetch: async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }),
    })
    const err = await c.getEndpoint().then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(err instanceof GatewayOpenError, String(reason))
    t.match((err as Error).message, reason)
    t.notMatch((err as Error).message, /TICKET-1/)
  }
  const { events } = recorder()
  const down = gatewayClient({ events, timeoutMs: 200 })
  await t.rejects(down.getEndpoint(), { name: 'GatewayOpenError', message: 'gateway unreachable' })
  await t.rejects(down._connect(), /no endpoint/)
})
