import t from 'tap'
import { fixture, robotMessage, SECRET, signedHeaders, startStack, waitFor } from '../helpers/index.js'

const slowPacing = { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } }

t.test('a signed "meeting 615902734" is answered inline with the live meeting card', async (t) => {
  const s = await startStack(t)
  const res = await s.post(
    robotMessage({ text: ' meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }),
  )
  t.equal(res.status, 200)
  const body = (await res.json()) as {
    msgtype: string
    actionCard: { title: string; text: string; singleURL: string }
  }
  t.equal(body.msgtype, 'actionCard')
  t.match(body.actionCard.text, /Sprint 43 retrospective/)
  t.match(body.actionCard.text, /5 in the meeting now · 6 joined in total · 14 invited/)
  t.equal(body.actionCard.singleURL, 'https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f')
  t.equal(s.emu.count('conference.byRoomCode'), 1)
  t.equal(s.emu.count('conference.info'), 1)
  t.equal(s.emu.count('token'), 1)
  t.equal(s.emu.replies.length, 0, 'nothing went to the webhook')
})

t.test('the fixture message, as DingTalk sends it, is accepted', async (t) => {
  const s = await startStack(t)
  const payload = { ...fixture('robot-text-group'), sessionWebhook: s.emu.newSessionWebhook() }
  const res = await s.post(JSON.stringify(payload))
  t.equal(res.status, 200)
  t.match(await res.text(), 'Sprint 43 retrospective')
})

t.test('signature: missing, forged or stale is 401 and nothing runs', async (t) => {
  const s = await startStack(t)
  const msg = robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() })
  const now = Date.now()
  const cases: Array<[string, Record<string, string>]> = [
    ['no headers', { 'content-type': 'application/json' }],
    ['wrong secret', signedHeaders('wrong-secret')],
    ['stale', signedHeaders(SECRET, now - 61 * 60_000)],
    ['future', signedHeaders(SECRET, now + 61 * 60_000)],
    ['sign of another timestamp', { ...signedHeaders(), timestamp: String(now - 1000) }],
  ]
  for (const [name, headers] of cases) {
    const res = await s.post(msg, headers)
    t.equal(res.status, 401, name)
    t.match(await res.json(), { error: 'unauthorized' }, name)
  }
  // A big unsigned body is refused before it is read.
  const big = await s.post('x'.repeat(200_000), { 'content-type': 'application/json' })
  t.equal(big.status, 401)
  await new Promise((r) => setTimeout(r, 100))
  t.equal(s.emu.count('token'), 0, 'no upstream call')
  t.equal(s.emu.replies.length, 0, 'no reply')
  t.equal(s.capture.find('message handled').length, 0, 'no message handled')
  const rejected = s.capture.find('callback rejected: bad signature')
  t.equal(rejected.length, cases.length + 1)
  t.notMatch(s.capture.raw, signedHeaders('wrong-secret').sign as string, 'the sign header is never logged')
})

t.test('bad bodies: 413, 400 for bad JSON and wrong shapes; the service stays healthy', async (t) => {
  const s = await startStack(t)
  const tooBig = robotMessage({ text: 'x'.repeat(70 * 1024), sessionWebhook: s.emu.newSessionWebhook() })
  t.equal((await s.post(tooBig)).status, 413)
  t.equal((await s.post('{"msgId": ')).status, 400)
  t.equal((await s.post('[]')).status, 400)
  const { msgId: _m, ...noId } = robotMessage({ sessionWebhook: s.emu.newSessionWebhook() })
  for (const [name, body] of [
    ['no msgId', noId],
    ['conversationType 3', { ...robotMessage(), conversationType: '3' }],
    ['sessionWebhook a number', { ...robotMessage(), sessionWebhook: 5 }],
    ['text not an object', { ...robotMessage(), text: 'hi' }],
  ] as const) {
    const res = await s.post(body)
    t.equal(res.status, 400, name)
    t.match(await res.json(), { error: /FST_ERR_VALIDATION|bad_request/ }, name)
  }
  const healthz = await fetch(`${s.url}/healthz`)
  t.same(await healthz.json(), { status: 'ok' })
  const ok = await s.post(robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }))
  t.equal(ok.status, 200, 'still answering')
  t.equal(s.emu.count('token'), 0)
})

t.test('extra fields DingTalk adds are ignored; createAt as a string is fine', async (t) => {
  const s = await startStack(t)
  const res = await s.post({
    ...robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }),
    createAt: '1764124200000',
    hostingContext: { a: 1 },
    conversationMsgContext: [],
  })
  t.equal(res.status, 200)
  t.match(await res.json(), { msgtype: 'markdown' })
})

t.test('slow answers: "empty" at the deadline, then the reply through the session webhook', async (t) => {
  const s = await startStack(t, { tuning: { inlineDeadlineMs: 200 } })
  s.emu.fail('conference.byRoomCode', { delayMs: 600 })
  const session = s.emu.newSessionWebhook()
  const started = Date.now()
  const res = await s.post(robotMessage({ text: 'meeting 615902734', sessionWebhook: session }))
  t.same(await res.json(), { msgtype: 'empty' })
  t.ok(Date.now() - started < 550, 'the response did not wait for the upstream')
  const [reply] = await s.emu.waitForReplies(1)
  t.equal(reply?.via, 'webhook')
  t.equal(reply?.session, new URL(session).searchParams.get('session'))
  t.match(reply?.body, {
    msgtype: 'actionCard',
    actionCard: { title: 'Sprint 43 retrospective · In progress' },
  })
  await waitFor(() => s.capture.find('message handled').length > 0)
  const handled = s.capture.find('message handled')[0]
  t.match(handled, { path: 'webhook', outcome: 'answered', command: 'meeting' })
})

t.test('a redelivered msgId is acked and ignored: one reply', async (t) => {
  const s = await startStack(t, { tuning: { inlineDeadlineMs: 100 } })
  s.emu.fail('conference.byRoomCode', { delayMs: 300 })
  const msg = robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() })
  const [a, b] = await Promise.all([s.post(msg), s.post(msg)])
  t.same(await a.json(), { msgtype: 'empty' })
  t.same(await b.json(), { msgtype: 'empty' })
  await s.emu.waitForReplies(1)
  const again = await s.post(msg)
  t.same(await again.json(), { msgtype: 'empty' }, 'after it was answered, too')
  await new Promise((r) => setTimeout(r, 200))
  t.equal(s.emu.replies.length, 1)
  t.equal(s.emu.count('conference.byRoomCode'), 1)
  t.equal(s.capture.find('duplicate delivery ignored').length, 2)
})

t.test(
  'session webhook: only to DINGTALK_OAPI_BASE; refused otherwise, and logged without the URL',
  async (t) => {
    const s = await startStack(t, { tuning: { inlineDeadlineMs: 50, ...slowPacing } })
    s.emu.fail('conference.byRoomCode', { delayMs: 150 })
    const forged = 'https://evil.example.com/robot/sendBySession?session=stolen123'
    const res = await s.post(robotMessage({ text: 'meeting 615902734', sessionWebhook: forged }))
    t.same(await res.json(), { msgtype: 'empty' })
    await waitFor(() => s.capture.find('reply not delivered').length > 0)
    t.equal(s.emu.replies.length, 0, 'not delivered anywhere, not even through the OpenAPI')
    const line = s.capture.find('reply not delivered')[0]
    t.match(line, { reason: 'refused' })
    t.notMatch(s.capture.raw, 'stolen123')
    t.match(s.capture.raw, 'https://evil.example.com', 'the origin is named')
  },
)

t.test('expired session webhook: the reply goes through the robot OpenAPI', async (t) => {
  const s = await startStack(t, { tuning: { inlineDeadlineMs: 50 } })
  s.emu.fail('conference.byRoomCode', { delayMs: 150 })
  const res = await s.post(
    robotMessage({
      text: 'meeting 615902734',
      sessionWebhook: s.emu.newSessionWebhook(),
      sessionWebhookExpiredTime: Date.now() - 1,
    }),
  )
  t.same(await res.json(), { msgtype: 'empty' })
  const [reply] = await s.emu.waitForReplies(1)
  t.equal(reply?.via, 'openapi')
  t.equal(reply?.conversationId, 'cidK3nV8pQ2xYwLmZ5tR9aB1cD==')
  t.match(reply?.body, { msgKey: 'sampleActionCard', msgParam: { singleURL: /roomCode=615902734/ } })
})

t.test('healthz and readyz', async (t) => {
  const s = await startStack(t)
  const ready = await fetch(`${s.url}/readyz`)
  t.equal(ready.status, 200)
  t.match(await ready.json(), { status: 'ready', checks: { http: { ok: true } } })
  const stopping = s.app.stop()
  const during = await s
    .post(robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }))
    .catch(() => undefined)
  if (during) t.equal(during.status, 503, 'callbacks refused while shutting down')
  await stopping
})
