import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { DingTalkEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js'
import { GATEWAY_OPEN_PATH, TOPIC_ROBOT } from '../../src/emulator/gateway.js'
import { CLIENT_ID, fixture, SECRET, waitFor } from '../helpers/index.js'

const SUBSCRIPTIONS = [{ type: 'CALLBACK', topic: TOPIC_ROBOT }]

async function emulator(t: Test, stream: EmulatorOptions['stream'] = {}) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    stream,
  })
  t.teardown(() => emu.close())
  return emu
}

function open(emu: DingTalkEmulator, body: unknown = {}, accept = 'application/json') {
  return fetch(`${emu.baseUrl}${GATEWAY_OPEN_PATH}`, {
    method: 'POST',
    headers: { accept, 'content-type': 'application/json' },
    body: JSON.stringify({
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      ua: 'test',
      subscriptions: SUBSCRIPTIONS,
      ...(body as object),
    }),
  })
}

async function ticketUrl(emu: DingTalkEmulator): Promise<string> {
  const res = await open(emu)
  const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string }
  return `${endpoint}?ticket=${ticket}`
}

/** A bare client: records frames, acks nothing unless told. Resolves once open or rejects with the status. */
function client(url: string) {
  const frames: Array<Record<string, unknown>> = []
  const ws = new WebSocket(url)
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>))
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  return { ws, frames, opened, closed }
}

function ack(ws: WebSocket, messageId: string, data = '{"response":null}') {
  ws.send(
    JSON.stringify({
      code: 200,
      headers: { contentType: 'application/json', messageId },
      message: 'OK',
      data,
    }),
  )
}

t.test('the open endpoint checks credentials and body shape, and can be faulted', async (t) => {
  const emu = await emulator(t)
  const ok = await open(emu)
  t.equal(ok.status, 200)
  const body = (await ok.json()) as { endpoint: string; ticket: string }
  t.match(body.endpoint, /^ws:\/\/127\.0\.0\.1:\d+\/connect$/)
  t.match(body.ticket, /^[0-9a-f-]{36}$/)
  t.same(emu.stream.lastSubscriptions, SUBSCRIPTIONS)

  const bad = await open(emu, { clientSecret: 'nope' })
  t.equal(bad.status, 400)
  t.match(await bad.json(), { code: 'invalidClientIdOrSecret' })
  for (const subscriptions of [undefined, [], [{ type: 'CALLBACK' }], [{ type: 'X', topic: 't' }]]) {
    const res = await open(emu, { subscriptions })
    t.equal(res.status, 400, `subscriptions ${JSON.stringify(subscriptions)}`)
    t.match(await res.json(), { code: 'invalidParameter' })
  }
  const xml = await open(emu, {}, '*/*')
  t.match(await xml.text(), /^<xml>/, 'without Accept: application/json the answer is XML (as the SDK warns)')

  emu.fail('gateway.open', { status: 500 })
  const failed = await open(emu)
  t.equal(failed.status, 500)
  t.equal(emu.count('gateway.open'), 8)
  t.equal(emu.stream.openCalls, 8)
})

t.test('tickets are single-use and expire; refused handshakes use them up too', async (t) => {
  const emu = await emulator(t, { ticketTtlMs: 100 })
  const url = await ticketUrl(emu)
  const first = client(url)
  await first.opened
  await t.rejects(client(url).opened, /HTTP 401/, 'a used ticket')
  await t.rejects(client(url.replace(/ticket=.*/, 'ticket=unknown')).opened, /HTTP 401/, 'an unknown ticket')
  const late = await ticketUrl(emu)
  await sleep(150)
  await t.rejects(client(late).opened, /HTTP 401/, 'an expired ticket')
  await t.rejects(client(url.replace('/connect', '/elsewhere')).opened, /HTTP 404/)

  emu.stream.refuseHandshakes(2, 503)
  await t.rejects(client(await ticketUrl(emu)).opened, /HTTP 503/)
  await t.rejects(client(await ticketUrl(emu)).opened, /HTTP 503/)
  const third = client(await ticketUrl(emu))
  await third.opened
  t.equal(emu.stream.handshakeAttempts, 8)
  t.equal(emu.stream.handshakes, 2)
  t.equal(emu.stream.rejectedHandshakes, 6)
  t.equal(emu.stream.openSockets, 2)
  t.equal(emu.stream.maxOpenSockets, 2)
  first.ws.close()
  await first.closed
  await waitFor(() => emu.stream.openSockets === 1, 1000, 'one socket left')
})

t.test('push sends DingTalk CALLBACK frames and records acks with their latency', async (t) => {
  const emu = await emulator(t)
  const c = client(await ticketUrl(emu))
  await c.opened
  const payload = { msgId: 'm1', text: { content: 'hi' } }
  const id = emu.stream.push(payload)
  await waitFor(() => c.frames.length === 1, 1000, 'the frame')
  const frame = c.frames[0] as { type: string; headers: Record<string, string>; data: string }
  const shape = fixture('stream-callback-frame') as { headers: Record<string, string> }
  t.same(Object.keys(frame.headers).sort(), Object.keys(shape.headers).sort())
  t.match(frame, { specVersion: '1.0', type: 'CALLBACK', headers: { messageId: id, topic: TOPIC_ROBOT } })
  t.same(JSON.parse(frame.data), payload)
  const chosen = emu.stream.push('raw {', { messageId: 'fixed', connection: emu.stream.liveConnections()[0] })
  t.equal(chosen, 'fixed')
  await waitFor(() => c.frames.length === 2, 1000, 'the second frame')
  t.equal((c.frames[1] as { data: string }).data, 'raw {')

  ack(c.ws, id)
  const record = await emu.stream.waitForAck(id)
  t.match(record, { messageId: id, code: 200, connectionId: 'conn-1' })
  t.ok((record.latencyMs ?? -1) >= 0)
  ack(c.ws, id)
  c.ws.send('junk')
  await waitFor(() => emu.stream.duplicateAcks === 1 && emu.stream.strayFrames === 1, 1000, 'dup and junk')
  await t.rejects(emu.stream.waitForAck('fixed', 50), /no ack for fixed/)
  t.throws(() => emu.stream.push({}, { connection: 'conn-9' }), /not open/)
})

t.test(
  'an unacked frame is pushed again, a bounded number of times, each with a new messageId',
  async (t) => {
    const emu = await emulator(t, { redeliverAfterMs: 40, maxRedeliveries: 2 })
    const c = client(await ticketUrl(emu))
    await c.opened
    const id = emu.stream.push({ msgId: 'again' })
    await sleep(250)
    t.equal(c.frames.length, 3, 'first push and two re-pushes')
    const ids = c.frames.map((f) => (f.headers as { messageId: string }).messageId)
    t.equal(ids[0], id)
    t.equal(new Set(ids).size, 3, 'every push has a messageId of its own (platform notes §8)')
    t.ok(
      c.frames.every((f) => JSON.parse(f.data as string).msgId === 'again'),
      'the same message',
    )
    t.equal(emu.stream.redelivered, 2)
    ack(c.ws, ids[2] as string)
    const acked = await emu.stream.waitForAck(id, 1000)
    t.equal(acked.messageId, ids[2], "the first push's waiter hears the ack of a re-push")
    t.equal(acked.original, id)
    const once = emu.stream.push({ msgId: 'once' })
    await waitFor(() => c.frames.length === 4, 1000, 'the frame')
    ack(c.ws, once)
    await sleep(120)
    t.equal(c.frames.length, 4, 'an acked frame is not pushed again')
  },
)

t.test('pings, pongs, disconnect, drop, silence', async (t) => {
  const emu = await emulator(t, { disconnectCloseMs: 80, pingIntervalMs: 30 })
  const c = client(await ticketUrl(emu))
  await c.opened
  await waitFor(
    () => c.frames.some((f) => (f.headers as { topic: string }).topic === 'ping'),
    1000,
    'auto ping',
  )
  const id = emu.stream.ping({ data: '{"opaque":"x"}' })
  await waitFor(
    () => c.frames.some((f) => (f.headers as { messageId: string }).messageId === id),
    1000,
    'ping',
  )
  c.ws.send(JSON.stringify({ code: 200, headers: { messageId: id }, message: 'OK', data: '{"opaque":"y"}' }))
  t.match(await emu.stream.waitForPong(id), { messageId: id, sameData: false })

  const connId = emu.stream.sendDisconnect()
  const started = Date.now()
  t.equal(await c.closed, 1000)
  t.ok(Date.now() - started >= 60, 'closed after the announced delay')
  const topic = (f: Record<string, unknown>) => (f.headers as { topic: string }).topic
  t.match(
    c.frames.find((f) => topic(f) === 'disconnect'),
    { type: 'SYSTEM', headers: { connectionId: connId } },
  )
  await waitFor(() => emu.stream.connections[0]?.closeCode === 1000, 1000, 'server-side close')

  const d = client(await ticketUrl(emu))
  await d.opened
  t.equal(emu.stream.dropAll(), 1)
  t.equal(await d.closed, 1006, 'no close handshake')

  const s = client(await ticketUrl(emu))
  await s.opened
  let pongs = 0
  s.ws.on('pong', () => pongs++)
  s.ws.ping()
  await waitFor(() => pongs === 1, 1000, 'a WebSocket pong')
  emu.stream.silence()
  await sleep(50) // let frames already on the wire arrive
  const before = s.frames.length
  emu.stream.push({ msgId: 'lost' })
  s.ws.ping()
  await sleep(100)
  t.equal(s.frames.length, before, 'no frames, not even pings')
  t.equal(pongs, 1, 'no pongs')
  t.throws(() => emu.stream.ping({ connection: 'conn-1' }), /not open/)
})

t.test('close() ends every socket and timer', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    stream: { pingIntervalMs: 20, redeliverAfterMs: 10_000 },
  })
  const c = client(await ticketUrl(emu))
  await c.opened
  emu.stream.push({ msgId: 'pending' })
  emu.stream.sendDisconnect({ closeAfterMs: 10_000 })
  await emu.close()
  t.equal(await c.closed, 1006)
  t.equal(emu.stream.openSockets, 0)
  t.throws(() => emu.stream.push({}), /no live stream connection/)
})
