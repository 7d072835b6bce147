import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { DeliveryOptions } from '../../../src/delivery/delivery.js'
import { NoticeFailedError, NoticeSender } from '../../../src/delivery/notice.js'
import { Pacer } from '../../../src/delivery/pacer.js'
import { RobotSender } from '../../../src/delivery/robot-api.js'
import { WebhookSender } from '../../../src/delivery/webhook.js'
import { DingTalkApi } from '../../../src/dingtalk/api.js'
import { DingTalkHttp } from '../../../src/dingtalk/http.js'
import { toInboundMessage } from '../../../src/dingtalk/robot-message.js'
import { TokenProvider } from '../../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { MEETING_STATUS_CHANGE } from '../../../src/emulator/events.js'
import { Sealer } from '../../../src/store/sealer.js'
import {
  CLIENT_ID,
  captureLogger,
  FAST,
  failure,
  robotMessage,
  SECRET,
  waitFor,
} from '../../helpers/index.js'
import { chat, noticesOf, posted, watchHarness } from './helpers.js'

const NOTE = { msgtype: 'markdown', markdown: { title: 'Note', text: '#### Note\nhello' } } as const

t.test('the notice sender: the session webhook while it works, else the robot OpenAPI', async (t) => {
  const emu = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings: [] })
  t.teardown(() => emu.close())
  const { log, capture } = captureLogger()
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 })
  const tokens = new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET })
  const api = new DingTalkApi(http, tokens, { maxAttempts: 2, throttleBudgetMs: 100, baseDelayMs: 5 }, log)
  let now = Date.now()
  const sender = new NoticeSender({
    webhook: new WebhookSender(emu.baseUrl, 1000),
    robot: new RobotSender(api, CLIENT_ID),
    pacer: new Pacer(),
    box: new Sealer(SECRET, CLIENT_ID, 'notice'),
    opts: FAST.delivery as DeliveryOptions,
    clock: () => now,
  })
  const inbound = (over: Record<string, unknown> = {}) => toInboundMessage(robotMessage(over), 'http', now)
  const hook = emu.newSessionWebhook()
  const session = new URL(hook).searchParams.get('session') ?? ''
  const group = sender.address(inbound({ sessionWebhook: hook, conversationId: 'cidNoticeGroup==' }))
  t.notMatch(JSON.stringify(group), session, 'the webhook is kept sealed')
  t.match(group, { conversationId: 'cidNoticeGroup==', type: 'group', webhook: { expiresAt: Number } })

  t.equal(await sender.send(group, NOTE, log), 'webhook')
  emu.webhookAnswers.push(-1)
  t.equal(await sender.send(group, NOTE, log), 'webhook', 'busy: retried')
  t.equal(emu.replies.filter((r) => r.session === session).length, 2)

  emu.expireSession(hook)
  t.equal(await sender.send(group, NOTE, log), 'openapi', 'the session is gone: the OpenAPI')
  t.match(emu.replies.at(-1), {
    via: 'openapi',
    conversationId: 'cidNoticeGroup==',
    body: { msgKey: 'sampleMarkdown' },
  })
  now += 2 * 3600_000
  const fresh = sender.address(inbound({ sessionWebhook: emu.newSessionWebhook() }))
  t.notOk('webhook' in fresh, 'a webhook DingTalk says has expired is not kept')
  t.notOk('webhook' in sender.address(inbound()), 'nor one outside DingTalk’s origin (the fixture’s)')

  const single = sender.address(
    inbound({ conversationType: '1', conversationId: 'cidSingle==', senderStaffId: 'user42' }),
  )
  t.equal(await sender.send(single, NOTE, log), 'openapi')
  t.match(emu.replies.at(-1), { via: 'openapi', userIds: ['user42'] }, 'one-to-one: to the person')

  t.match(await failure(sender.send({ conversationId: 'x' }, NOTE, log)), { reason: 'bad-address' })
  t.match(await failure(sender.send({ conversationId: 'x', type: 'single', staffId: '' }, NOTE, log)), {
    reason: 'bad-address',
  })
  emu.fail('robot.groupSend', { status: 500, times: 2 })
  const err = await failure(sender.send(fresh, NOTE, log))
  t.ok(err instanceof NoticeFailedError)
  t.match(err, { reason: 'failed', message: /robot OpenAPI: robot.groupSend failed: HTTP 500/ })
  t.notMatch(capture.raw, session, 'no webhook URL in the logs')
})

t.test('a notice that fails is logged, retried on a later pass, and given up after five tries', async (t) => {
  const h = await watchHarness(t)
  const { emu, capture } = h
  const c = chat(emu)
  await h.run(c, 'watch 372615948')
  emu.expireSession(`${emu.baseUrl}/robot/sendBySession?session=${c.session}`)
  // Two calls per attempt (the API client retries a 500 once): the first two attempts fail.
  emu.fail('robot.groupSend', { status: 500, times: 4 })
  emu.timeline.start('372615948')
  const start = emu.events.last(MEETING_STATUS_CHANGE)?.spec
  await h.event(MEETING_STATUS_CHANGE, JSON.parse(start?.data ?? '{}'))
  const retries = () => capture.find('watch notice not delivered; will retry')
  await waitFor(() => retries().length === 1, 3000, 'the first failure, logged')
  t.match(retries()[0], { level: 40, tries: 1, reason: 'failed', err: /HTTP 500/ })
  for (let i = 0; i < 20 && noticesOf(emu, c, /has started/).length === 0; i++) {
    await sleep(60)
    await h.feature.engine.tick()
  }
  t.equal(noticesOf(emu, c, /has started/).length, 1, 'delivered on the third attempt')
  t.equal(retries().length, 2)
  t.match(posted(emu, c)[0], { via: 'openapi' })

  const other = chat(emu)
  await h.run(other, 'watch 728301956')
  emu.timeline.end('728301956')
  emu.expireSession(`${emu.baseUrl}/robot/sendBySession?session=${other.session}`)
  emu.fail('robot.groupSend', { status: 500, times: 1000 })
  await h.event(MEETING_STATUS_CHANGE, JSON.parse(emu.events.last(MEETING_STATUS_CHANGE)?.spec.data ?? '{}'))
  const gaveUp = () => capture.find('watch notice given up')
  for (let i = 0; i < 60 && gaveUp().length === 0; i++) {
    await sleep(100)
    await h.feature.engine.tick()
  }
  t.match(gaveUp(), [{ level: 50, tries: 5, reason: 'failed' }], 'given up loudly after five tries')
  const sends = emu.count('robot.groupSend')
  for (let i = 0; i < 5; i++) await h.feature.engine.tick()
  t.equal(emu.count('robot.groupSend'), sends, 'and not tried again')
  t.equal(noticesOf(emu, other, /has ended/).length, 0)
})
