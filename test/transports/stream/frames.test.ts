import t from 'tap'
import { parseRobotFrame, sanitize } from '../../../src/transports/stream/frames.js'
import { robotMessage } from '../../helpers/index.js'

t.test('a robot frame becomes the message the core works with', async (t) => {
  const payload = robotMessage({ text: ' meeting 615902734' })
  const r = parseRobotFrame(JSON.stringify(payload), 1234)
  t.match(r, {
    ok: true,
    message: {
      id: payload.msgId,
      transport: 'stream',
      receivedAt: 1234,
      conversation: { id: payload.conversationId, type: 'group', title: payload.conversationTitle },
      sender: { id: payload.senderId, staffId: 'manager4821', nick: payload.senderNick, isAdmin: false },
      content: { kind: 'text', text: ' meeting 615902734' },
      replyTarget: {
        sessionWebhook: payload.sessionWebhook,
        sessionWebhookExpiresAt: payload.sessionWebhookExpiredTime,
      },
    },
  })
  const single = parseRobotFrame(JSON.stringify(robotMessage({ conversationType: '1', msgtype: 'file' })), 1)
  t.match(single, {
    ok: true,
    message: { conversation: { type: 'single' }, content: { kind: 'unsupported' } },
  })
})

t.test('junk and invalid payloads give a reason to log, never the content', async (t) => {
  const secretish = 'https://oapi.dingtalk.com/robot/sendBySession?session=LEAK-ME'
  const valid = JSON.stringify(robotMessage({ sessionWebhook: secretish, text: 'private words' }))
  const cases: Array<[string, string]> = [
    ['not json', 'data is not JSON'],
    ['', 'data is not JSON'],
    [valid.slice(0, valid.indexOf('LEAK-ME') + 7), 'data is not JSON'],
    ['null', 'body must be object'],
    ['[]', 'body must be object'],
    ['"text"', 'body must be object'],
    ['{}', "body must have required property 'msgId'"],
    [JSON.stringify({ ...JSON.parse(valid), msgId: 42 }), '/msgId must be string'],
    [
      JSON.stringify({ ...JSON.parse(valid), conversationType: '3' }),
      '/conversationType must be equal to one of the allowed values',
    ],
    [
      JSON.stringify({ ...JSON.parse(valid), sessionWebhook: `${secretish}${'x'.repeat(2048)}` }),
      '/sessionWebhook must NOT have more than 2048 characters',
    ],
  ]
  for (const [data, reason] of cases) {
    const r = parseRobotFrame(data, 1)
    t.same(r, { ok: false, reason }, reason)
    const text = JSON.stringify(r)
    t.notOk(text.includes('LEAK-ME') || text.includes('private words'), 'no frame content in the reason')
  }
})

t.test('sanitize() removes tickets from any text', async (t) => {
  t.equal(
    sanitize('Invalid URL: wss://h/connect?ticket=abc-123&x=1'),
    'Invalid URL: wss://h/connect?ticket=[redacted]&x=1',
  )
  t.equal(sanitize('nothing here'), 'nothing here')
})
