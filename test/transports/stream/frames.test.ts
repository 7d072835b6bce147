import type { DWClientDownStream } from 'dingtalk-stream'
import t from 'tap'
import {
  parseEventFrame,
  parseRobotFrame,
  parseStreamFrame,
  sanitize,
} from '../../../src/transports/stream/frames.js'
import { fixture, robotMessage } from '../../helpers/index.js'

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

t.test('a WebSocket message is a stream frame, or a reason without its content', async (t) => {
  const frame = { specVersion: '1.0', type: 'CALLBACK', headers: { topic: 't', messageId: 'm' }, data: '{}' }
  t.same(parseStreamFrame(JSON.stringify(frame)), frame)
  t.same(
    parseStreamFrame('{"type":"X","headers":{}}'),
    { type: 'X', headers: {} },
    'a type it does not judge',
  )
  const cases: Array<[string, string]> = [
    ['{"type":', 'not JSON (8 bytes)'],
    ['session=LEAK-ME', 'not JSON (15 bytes)'],
    ['null', 'not a stream frame'],
    ['42', 'not a stream frame'],
    ['"LEAK-ME"', 'not a stream frame'],
    ['[]', 'not a stream frame'],
    ['{"type":5,"headers":{}}', 'not a stream frame'],
    ['{"type":"CALLBACK"}', 'not a stream frame'],
    ['{"type":"CALLBACK","headers":null}', 'not a stream frame'],
    ['{"type":"CALLBACK","headers":"LEAK-ME"}', 'not a stream frame'],
  ]
  for (const [text, reason] of cases) t.equal(parseStreamFrame(text), reason, text)
})

t.test('sanitize() removes tickets from any text', async (t) => {
  t.equal(
    sanitize('Invalid URL: wss://h/connect?ticket=abc-123&x=1'),
    'Invalid URL: wss://h/connect?ticket=[redacted]&x=1',
  )
  t.equal(sanitize('nothing here'), 'nothing here')
})

t.test('an EVENT frame becomes the event the core works with', async (t) => {
  const fx = fixture<DWClientDownStream>('stream-event-meeting-status-change')
  const r = parseEventFrame(fx, 5_000)
  t.same(r, {
    ok: true,
    event: {
      id: 'evt7d1f2a9c0b3e',
      type: 'meeting_status_change',
      corpId: 'dingcorp5e8a1f2b',
      bornAt: 1764727200400,
      receivedAt: 5_000,
      transport: 'stream',
      data: JSON.parse(fx.data),
    },
  })
  const member = parseEventFrame(fixture<DWClientDownStream>('stream-event-meeting-member-status-change'), 1)
  t.match(member, { ok: true, event: { type: 'meeting_member_status_change', data: { statusSeqNum: 2 } } })
  const headers = {
    ...fx.headers,
    eventCorpId: undefined,
    eventBornTime: 'yesterday',
  } as unknown as DWClientDownStream['headers']
  t.match(
    parseEventFrame({ ...fx, headers }, 7),
    {
      ok: true,
      event: { corpId: '', bornAt: 7 },
    },
    'no corp id: empty; a birth time that is no epoch: when it arrived',
  )
})

t.test('an EVENT frame that is no usable event gives a reason without its content', async (t) => {
  const fx = fixture<DWClientDownStream>('stream-event-meeting-status-change')
  const withHeaders = (h: Record<string, unknown>, data: unknown = fx.data) =>
    ({ ...fx, headers: { ...fx.headers, ...h }, data }) as unknown as DWClientDownStream
  const cases: Array<[DWClientDownStream, string]> = [
    [withHeaders({ eventId: undefined }), 'EVENT frame without a usable eventId'],
    [withHeaders({ eventId: '' }), 'EVENT frame without a usable eventId'],
    [withHeaders({ eventId: 'has space LEAK-ME' }), 'EVENT frame without a usable eventId'],
    [withHeaders({ eventId: 'x'.repeat(129) }), 'EVENT frame without a usable eventId'],
    [withHeaders({ eventId: 42 }), 'EVENT frame without a usable eventId'],
    [withHeaders({ eventType: undefined }), 'EVENT frame without a usable eventType'],
    [withHeaders({ eventType: 'LEAK-ME {}' }), 'EVENT frame without a usable eventType'],
    [withHeaders({}, null), 'EVENT frame without data'],
    [withHeaders({}, 7), 'EVENT frame without data'],
    [withHeaders({}, '{"openConfModel": LEAK-ME'), 'EVENT data is not JSON'],
    [withHeaders({}, 'null'), 'EVENT data is not an object'],
    [withHeaders({}, '["LEAK-ME"]'), 'EVENT data is not an object'],
    [withHeaders({}, '"LEAK-ME"'), 'EVENT data is not an object'],
  ]
  for (const [frame, reason] of cases) {
    const r = parseEventFrame(frame, 1)
    t.same(r, { ok: false, reason }, reason)
    t.notOk(JSON.stringify(r).includes('LEAK-ME'), 'no frame content in the reason')
  }
})
