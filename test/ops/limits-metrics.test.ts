import t from 'tap'
import { ApiBudget } from '../../src/dingtalk/budget.js'
import { MemoryStore } from '../../src/store/memory.js'
import { fixture, robotMessage, startStack, waitFor } from '../helpers/index.js'

const noPacing = { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } }

t.test('per-user rate limit: one friendly refusal per window, then silence (counted)', async (t) => {
  const s = await startStack(t, { env: { BOT_USER_RATE_LIMIT: '3' }, tuning: noPacing })
  const replies: unknown[] = []
  for (let i = 0; i < 6; i++) {
    const res = await s.post(robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }))
    replies.push(await res.json())
  }
  t.same(
    replies.map((r) => (r as { msgtype: string }).msgtype),
    ['markdown', 'markdown', 'markdown', 'text', 'empty', 'empty'],
  )
  t.equal(
    (replies[3] as { text: { content: string } }).text.content,
    '@manager4821 你发命令的速度超过了我的处理速度，请稍等一分钟。',
  )
  const other = await s.post(
    robotMessage({ text: 'help', senderStaffId: 'someoneElse', sessionWebhook: s.emu.newSessionWebhook() }),
  )
  t.match(await other.json(), { msgtype: 'markdown' }, 'other users are not affected')
  t.equal(s.app.stats.tally.rateLimited, 3)
  const metrics = await (await fetch(`${s.url}/metrics`)).text()
  t.match(metrics, 'meetingbot_rate_limited_total{action="refused"} 1')
  t.match(metrics, 'meetingbot_rate_limited_total{action="ignored"} 2')
})

t.test('/metrics after a known sequence of messages', async (t) => {
  // A deadline a cold first lookup (token and meeting) meets on a busy machine (at 100 ms one CI
  // run answered it by webhook instead); the slow one is past it and within the 1 s API timeout.
  const s = await startStack(t, { tuning: { ...noPacing, inlineDeadlineMs: 400 } })
  const msg = robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() })
  await s.post(msg)
  await s.post(msg) // a redelivery
  await s.post(robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }))
  s.emu.fail('conference.byRoomCode', { delayMs: 700 })
  await s.post(robotMessage({ text: 'meeting 427212345', sessionWebhook: s.emu.newSessionWebhook() }))
  await s.post(robotMessage({ text: 'weather', sessionWebhook: s.emu.newSessionWebhook() }))
  await s.post({
    ...fixture<Record<string, unknown>>('robot-quota-exceeded'),
    msgId: 'q1',
    sessionWebhook: s.emu.newSessionWebhook(),
  })
  await waitFor(() => s.app.stats.tally.handled === 5)
  const res = await fetch(`${s.url}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), 'text/plain')
  const m = await res.text()
  for (const line of [
    'meetingbot_messages_total{transport="http",command="meeting",outcome="answered"} 3',
    'meetingbot_messages_total{transport="http",command="unknown",outcome="answered"} 1',
    'meetingbot_messages_total{transport="http",command="none",outcome="ignored"} 1',
    'meetingbot_replies_total{path="inline"} 3',
    'meetingbot_replies_total{path="webhook"} 1',
    'meetingbot_dedupe_hits_total{transport="http"} 1',
    'meetingbot_upstream_calls_total{api="token",status="200"} 1',
    'meetingbot_upstream_calls_total{api="conference.byRoomCode",status="200"} 2',
    'meetingbot_upstream_calls_total{api="conference.info",status="200"} 1',
    'meetingbot_message_duration_seconds_count{transport="http"} 5',
    'meetingbot_upstream_duration_seconds_count{api="conference.byRoomCode"} 2',
    'meetingbot_process_resident_memory_bytes',
  ]) {
    t.match(m, line, line)
  }
})

t.test('METRICS_TOKEN protects /metrics with a bearer token', async (t) => {
  const s = await startStack(t, { env: { METRICS_TOKEN: 'scrape-me' } })
  t.equal((await fetch(`${s.url}/metrics`)).status, 401)
  t.equal((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401)
  const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })
  t.equal(ok.status, 200)
  t.match(await ok.text(), 'meetingbot_messages_total')
  t.equal((await fetch(`${s.url}/healthz`)).status, 200, 'health stays open')
})

t.test('/readyz reports the store', async (t) => {
  const s = await startStack(t)
  t.match(await (await fetch(`${s.url}/readyz`)).json(), {
    checks: { store: { ok: true, detail: 'memory' } },
  })
})

t.test('per-API budget: calls over it wait for the next second instead of failing', async (t) => {
  const budget = new ApiBudget(new MemoryStore(), 3)
  const started = Date.now()
  const done: number[] = []
  await Promise.all(
    Array.from({ length: 7 }, () =>
      budget.acquire('conference.info').then(() => done.push(Date.now() - started)),
    ),
  )
  done.sort((a, b) => a - b)
  const buckets = new Map<number, number>()
  for (const at of done) {
    const sec = Math.floor((started + at) / 1000)
    buckets.set(sec, (buckets.get(sec) ?? 0) + 1)
  }
  t.ok(
    [...buckets.values()].every((n) => n <= 3),
    `at most 3 per second: ${JSON.stringify([...buckets.values()])}`,
  )
  t.ok(buckets.size >= 3, 'seven calls need three seconds')
  await budget.acquire('conference.byRoomCode')
  t.pass('other APIs have their own budget')
})
