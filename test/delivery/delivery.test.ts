import t, { type Test } from 'tap'
import type { InboundMessage, Reply } from '../../src/core/message.js'
import { Delivery, DeliveryFailedError } from '../../src/delivery/delivery.js'
import { Pacer } from '../../src/delivery/pacer.js'
import { RobotSender, toRobotMessage } from '../../src/delivery/robot-api.js'
import { WebhookSender } from '../../src/delivery/webhook.js'
import { DingTalkApi } from '../../src/dingtalk/api.js'
import { DingTalkHttp } from '../../src/dingtalk/http.js'
import { toInboundMessage } from '../../src/dingtalk/robot-message.js'
import { TokenProvider } from '../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { CLIENT_ID, captureLogger, failure, fixtureMeetings, robotMessage, SECRET } from '../helpers/index.js'

const reply: Reply = {
  msgtype: 'markdown',
  markdown: { title: 'T', text: '#### T\n\n@manager4821' },
  at: { atUserIds: ['manager4821'], isAtAll: false },
}

async function setup(
  t: Test,
  opts: { limit?: number; maxWaitMs?: number; windowMs?: number; maxConcurrentSends?: number } = {},
) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
  })
  t.teardown(() => emu.close())
  const { log, capture } = captureLogger()
  // Generous timeouts: nothing here tests one, and a process's first fetch (undici loads lazily)
  // took over 300 ms on a busy 2-core machine, turning a webhook delivery into the fallback.
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 2000 })
  const api = new DingTalkApi(
    http,
    new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET }),
    { maxAttempts: 2, throttleBudgetMs: 50, baseDelayMs: 5 },
    log,
  )
  const delivery = new Delivery(
    new WebhookSender(emu.baseUrl, 2000),
    new RobotSender(api, CLIENT_ID),
    new Pacer({
      limit: opts.limit ?? 100,
      windowMs: opts.windowMs ?? 60_000,
      maxWaitMs: opts.maxWaitMs ?? 60_000,
    }),
    {
      webhookAttempts: 3,
      busyDelayMs: 5,
      tooFastDelayMs: 20,
      expiryMarginMs: 10_000,
      maxConcurrentSends: opts.maxConcurrentSends ?? 64,
    },
  )
  const message = (over: Parameters<typeof robotMessage>[0] = {}): InboundMessage =>
    toInboundMessage(robotMessage({ sessionWebhook: emu.newSessionWebhook(), ...over }), 'stream', Date.now())
  return { emu, delivery, log, capture, message }
}

t.test('errcode 0: delivered once through the webhook', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'webhook')
  t.equal(emu.replies.length, 1)
  t.same(emu.replies[0]?.body, reply)
})

t.test('busy (-1) and too fast (410100, 130101): wait and retry', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  emu.webhookAnswers.push(-1, 410100)
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'webhook')
  t.equal(emu.count('webhook'), 3)
  emu.webhookAnswers.push(130101)
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'webhook')
  t.equal(emu.replies.length, 2)
  t.equal(emu.count('robot.groupSend'), 0)
})

t.test('still busy after the retries: the OpenAPI takes over', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  emu.webhookAnswers.push(-1, -1, -1)
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'openapi')
  t.equal(emu.count('webhook'), 3)
  t.equal(emu.replies.length, 1)
})

t.test('300001 session gone: group → groupMessages/send without the raw mention', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  emu.webhookAnswers.push(300001)
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'openapi')
  t.equal(emu.count('webhook'), 1, 'no pointless retries')
  const r = emu.replies[0]
  t.match(r, { via: 'openapi', conversationId: 'cidK3nV8pQ2xYwLmZ5tR9aB1cD==' })
  t.same(r?.body, { msgKey: 'sampleMarkdown', msgParam: { title: 'T', text: '#### T\n\n@李雷' } })
})

t.test(
  'expired sessionWebhookExpiredTime: straight to the OpenAPI; one-to-one → oToMessages/batchSend',
  async (t) => {
    const { emu, delivery, log, message } = await setup(t)
    const msg = message({
      conversationType: '1',
      senderStaffId: 'admin0001',
      sessionWebhookExpiredTime: Date.now() + 5000,
    })
    const text: Reply = { msgtype: 'text', text: { content: 'hi' } }
    t.equal(
      await delivery.deliver({ msg, reply: text, log }),
      'openapi',
      'within the safety margin counts as expired',
    )
    t.equal(emu.count('webhook'), 0)
    t.match(emu.replies[0], {
      via: 'openapi',
      userIds: ['admin0001'],
      body: { msgKey: 'sampleText', msgParam: { content: 'hi' } },
    })
  },
)

t.test('webhook host down or failing: retried, then the OpenAPI', async (t) => {
  const { emu, delivery, log, message, capture } = await setup(t)
  emu.fail('webhook', { reset: true, times: 3 })
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'openapi')
  emu.fail('webhook', { status: 502, html: true, times: 3 })
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'openapi')
  t.equal(capture.find('session webhook unreachable').length, 6)
  t.notMatch(capture.raw, /session=[0-9a-f]{24}/, 'no webhook URL in the logs')
})

t.test('unknown errcode: OpenAPI; 400102 robot disabled: a failure with its reason', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  emu.webhookAnswers.push(123456)
  t.equal(await delivery.deliver({ msg: message(), reply, log }), 'openapi')
  emu.webhookAnswers.push(400102)
  const err = await failure(delivery.deliver({ msg: message(), reply, log }))
  t.type(err, DeliveryFailedError)
  t.equal(err.reason, 'robot-disabled')
})

t.test('both paths failing: one DeliveryFailedError, nothing delivered', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  emu.webhookAnswers.push(300001)
  emu.fail('robot.groupSend', { status: 403, code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied' })
  const err = await failure(delivery.deliver({ msg: message(), reply, log }))
  t.type(err, DeliveryFailedError)
  t.match(err.message, /robot OpenAPI: robot.groupSend failed: HTTP 403/)
  t.equal(emu.replies.length, 0)
})

t.test('one-to-one fallback without a staff id fails clearly', async (t) => {
  const { emu, delivery, log, message } = await setup(t)
  const msg = message({ conversationType: '1', senderStaffId: '', sessionWebhookExpiredTime: 1 })
  await t.rejects(delivery.deliver({ msg, reply, log }), /staff id/)
  t.equal(emu.replies.length, 0)
})

t.test('pacing: over the budget replies queue, the chat is told once, nothing is dropped', async (t) => {
  const { emu, delivery, log, message } = await setup(t, { limit: 3, windowMs: 300 })
  const notice: Reply = { msgtype: 'text', text: { content: 'slow down' } }
  const started = Date.now()
  const paths = await Promise.all(
    Array.from({ length: 7 }, (_, i) =>
      delivery.deliver({
        msg: message(),
        reply: { msgtype: 'text', text: { content: `r${i}` } },
        log,
        slowDownNotice: () => notice,
      }),
    ),
  )
  t.same(paths, Array(7).fill('webhook'))
  const contents = emu.replies.map((r) => (r.body as { text: { content: string } }).text.content)
  t.equal(contents.filter((c) => c === 'slow down').length, 1, 'told once')
  t.same(contents.filter((c) => c !== 'slow down').sort(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'])
  t.ok(Date.now() - started >= 550, 'seven replies at three per 300 ms take two more windows')
  const perWindow = emu.replies.filter(
    (r) => (r.body as { text: { content: string } }).text.content !== 'slow down',
  )
  // Reply i cannot be sent before floor(i / 3) windows from the first send, which is after
  // `started`. Measured from `started`, not from reply i - 3's arrival: that one can arrive late
  // (a cold connection), which made the gap look short on a slow CI machine (239 ms).
  for (let i = 3; i < perWindow.length; i++) {
    const since = (perWindow[i]?.at as number) - started
    const due = 300 * Math.floor(i / 3)
    t.ok(since >= due, `reply ${i} waited for its window (${since} ms after the start, due ${due})`)
  }
})

t.test('pacing: a flood beyond the longest wait is dropped with a reason', async (t) => {
  const { delivery, log, message } = await setup(t, { limit: 1, windowMs: 1000, maxWaitMs: 500 })
  await delivery.deliver({ msg: message(), reply, log })
  const err = await failure(delivery.deliver({ msg: message(), reply, log }))
  t.type(err, DeliveryFailedError)
  t.equal(err.reason, 'flooded')
})

t.test('toRobotMessage keeps the content of every reply type', async (t) => {
  const msg = toInboundMessage(robotMessage(), 'http', 0)
  const card: Reply = {
    msgtype: 'actionCard',
    actionCard: { title: 'a', text: 'b', singleTitle: 'c', singleURL: 'https://x' },
  }
  t.same(toRobotMessage(card, msg), { msgKey: 'sampleActionCard', msgParam: JSON.stringify(card.actionCard) })
  t.same(
    JSON.parse(toRobotMessage({ msgtype: 'text', text: { content: '@manager4821 hi' } }, msg).msgParam),
    { content: '@李雷 hi' },
  )
})

t.test('a burst of replies is sent a bounded number at a time', async (t) => {
  const { emu, delivery, log, message } = await setup(t, { maxConcurrentSends: 2 })
  emu.fail('webhook', { delayMs: 100, times: 6 })
  const started = Date.now()
  const paths = await Promise.all(
    Array.from({ length: 6 }, () => delivery.deliver({ msg: message(), reply, log })),
  )
  t.same(paths, Array(6).fill('webhook'))
  t.ok(Date.now() - started >= 290, 'six slow sends, two at a time, take three rounds')
})
