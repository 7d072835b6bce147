import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { TOPIC_ROBOT } from '../../../src/emulator/gateway.js'
import { fixture, robotMessage, signedHeaders, startStreamStack, waitFor } from '../../helpers/index.js'

const ASK = ' meeting 615902734'

t.test('a robot frame is acked with the same messageId, then answered through the webhook', async (t) => {
  const s = await startStreamStack(t)
  t.same(
    s.gw.lastSubscriptions.filter((sub) => (sub as { type: string }).type === 'CALLBACK'),
    [{ type: 'CALLBACK', topic: TOPIC_ROBOT }],
    'subscribes to robot messages (to events only when a feature handles them: events.test.ts)',
  )
  const messageId = s.gw.push(robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() }))
  const ack = await s.gw.waitForAck(messageId)
  const expected = fixture('stream-ack') as { headers: Record<string, string> }
  t.same(ack.frame, { ...expected, headers: { ...expected.headers, messageId } })
  const [reply] = await s.emu.waitForReplies(1)
  t.equal(reply?.via, 'webhook')
  t.match(JSON.stringify(reply?.body), /Sprint 43 retrospective/)
  t.equal(s.app.stream?.status().messages, 1)
})

t.test('the ack goes out before the slow work is done', async (t) => {
  const s = await startStreamStack(t)
  s.emu.fail('conference.byRoomCode', { delayMs: 700 })
  const messageId = s.gw.push(robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() }))
  const ack = await s.gw.waitForAck(messageId)
  t.ok((ack.latencyMs ?? Infinity) < 300, `acked in ${ack.latencyMs} ms`)
  t.equal(s.emu.replies.length, 0, 'not answered yet when acked')
  await s.emu.waitForReplies(1)
})

t.test('a SYSTEM ping is answered with code 200, the same messageId and the same data', async (t) => {
  const s = await startStreamStack(t)
  const id = s.gw.ping({ data: '{"opaque":"c0ffee"}' })
  const pong = await s.gw.waitForPong(id)
  t.ok(pong.sameData)
  t.equal(pong.frame.code, 200)
  t.match(pong.frame.headers, { messageId: id, topic: 'ping' })
})

t.test('the same msgId pushed twice (new frame, then the same frame again) is answered once', async (t) => {
  const s = await startStreamStack(t)
  const payload = robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })
  const first = s.gw.push(payload)
  const second = s.gw.push(payload)
  s.gw.push(payload, { messageId: first })
  await s.gw.waitForAck(first)
  await s.gw.waitForAck(second)
  await s.emu.waitForReplies(1)
  await waitFor(() => s.gw.acks.length === 3, 2000, 'three acks')
  await sleep(300)
  t.equal(s.emu.replies.length, 1)
})

t.test('a message arriving on both transports is answered once', async (t) => {
  const s = await startStreamStack(t, { env: { DINGTALK_TRANSPORTS: 'http,stream' } })

  t.test('stream first, then the HTTP callback', async (t) => {
    const payload = robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })
    await s.gw.waitForAck(s.gw.push(payload))
    await s.emu.waitForReplies(1)
    const res = await s.post(payload, signedHeaders())
    t.same(await res.json(), { msgtype: 'empty' })
    await sleep(200)
    t.equal(s.emu.replies.length, 1)
  })

  t.test('HTTP callback first (answered inline), then the stream', async (t) => {
    s.emu.resetCounters()
    const payload = robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })
    const res = await s.post(payload, signedHeaders())
    t.equal(((await res.json()) as { msgtype: string }).msgtype, 'actionCard')
    await s.gw.waitForAck(s.gw.push(payload))
    await sleep(300)
    t.equal(s.emu.replies.length, 0, 'no second answer by webhook')
  })
})

t.test('junk frames and invalid payloads are logged, never crash, and the bot keeps answering', async (t) => {
  const s = await startStreamStack(t)
  const valid = JSON.stringify({
    specVersion: '1.0',
    type: 'CALLBACK',
    headers: { messageId: 'm1', topic: TOPIC_ROBOT },
    data: JSON.stringify(robotMessage()),
  })
  for (const junk of [
    'not json',
    valid.slice(0, 40),
    'null',
    '[]',
    '42',
    '"text"',
    '{}',
    '{"type":"SYSTEM"}',
  ])
    s.gw.sendRaw(junk)
  s.gw.sendRaw(Buffer.from([0xff, 0x00, 0x7b]))
  s.gw.sendRaw(JSON.stringify({ type: 'CALLBACK', headers: { topic: TOPIC_ROBOT }, data: '{}' }))
  s.gw.sendRaw(JSON.stringify({ type: 'SYSTEM', headers: { topic: 'ping', messageId: 'p' } }))
  s.gw.sendRaw(JSON.stringify({ type: 'BOGUS', headers: {} }))
  const truncated = s.gw.push('{"msgId": "abc", "msgtype": "te')
  const invalid = s.gw.push({ ...robotMessage({ text: ASK }), msgId: 42 })
  const otherTopic = s.gw.push({}, { topic: '/v1.0/card/instances/callback' })
  // A bounded fuzz: random bytes and every truncation length of a real frame.
  for (let i = 0; i < 200; i++) {
    s.gw.sendRaw(i % 2 ? valid.slice(0, Math.floor(Math.random() * valid.length)) : randomText(i))
  }
  for (const id of [truncated, invalid, otherTopic]) await s.gw.waitForAck(id)
  const good = s.gw.push(robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() }))
  await s.gw.waitForAck(good)
  await s.emu.waitForReplies(1)
  t.equal(s.gw.handshakes, 1, 'still the first connection')
  t.ok(s.capture.find('unusable stream frame ignored').length >= 8)
  const dropped = s.capture.find('invalid robot message acked and dropped')
  t.same(dropped.map((l) => l.reason).sort(), ['/msgId must be string', 'data is not JSON'])
})

t.test('/readyz is 503 until the stream is connected, and again while it reconnects', async (t) => {
  const s = await startStreamStack(t, {
    before: (emu) => emu.fail('gateway.open', { status: 500, times: 1000 }),
    waitConnected: false,
  })
  await waitFor(() => s.emu.count('gateway.open') >= 2, 2000, 'two gateway calls')
  let r = await s.readyz()
  t.equal(r.status, 503)
  t.match(r.body.checks.stream, { ok: false, state: 'connecting' })
  t.match(
    r.body.checks.stream?.detail,
    /^connecting to the DingTalk stream gateway: gateway open failed: HTTP 500/,
  )

  s.emu.clearFaults()
  await s.connected()
  r = await s.readyz()
  t.equal(r.status, 200)
  t.match(r.body.checks.stream, { ok: true, detail: 'connected', state: 'connected' })

  s.gw.refuseHandshakes(1000)
  s.gw.dropAll()
  await waitFor(() => s.gw.rejectedHandshakes >= 1, 2000, 'a refused handshake')
  r = await s.readyz()
  t.equal(r.status, 503)
  t.match(r.body.checks.stream, { ok: false, state: 'reconnecting', reconnects: 0 })
  t.match(r.body.checks.stream?.detail, /^reconnecting: handshake failed: Unexpected server response: 503/)

  s.gw.refuseHandshakes(0)
  await s.connected()
  r = await s.readyz()
  t.equal(r.status, 200)
  t.match(r.body.checks.stream, { reconnects: 1 })
})

function randomText(seed: number): string {
  let out = ''
  for (let i = 0; i < (seed % 50) + 1; i++) out += String.fromCharCode(Math.floor(Math.random() * 0x7f))
  return out
}
