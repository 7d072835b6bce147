import { createHash, createHmac } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createApp } from '../../src/app/index.js'
import type { CardActionContext, CardActionHandler, InboundCardAction } from '../../src/core/card-action.js'
import type { InboundPort } from '../../src/core/port.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { Readiness } from '../../src/ops/readiness.js'
import { buildServer } from '../../src/ops/server.js'
import { MemoryStore } from '../../src/store/memory.js'
import {
  CARD_ANSWER_MS,
  CARD_CALLBACK_PATH,
  cardAnswer,
  clickId,
  parseCardCallback,
  registerCardCallback,
} from '../../src/transports/card-callback.js'
import { clickBody, clickCore } from '../core/steps/card-fake.js'
import { CLIENT_ID, captureLogger, FAST, fixtureMeetings, SECRET, testConfig } from '../helpers/index.js'

const CARD_SECRET = 'card-callback-secret-9d2e'

/** Signed as DingTalk signs a card callback, computed here with node:crypto alone. */
function cardHeaders(secret = CARD_SECRET, now = Date.now()): Record<string, string> {
  const timestamp = String(now)
  return {
    'content-type': 'application/json',
    'x-ddpaas-signature-timestamp': timestamp,
    'x-ddpaas-signature': createHmac('sha256', secret).update(timestamp).digest('base64'),
  }
}

/**
 * The route on the production server (`buildServer`), on port 0, in front of a core composed as
 * `createBot` composes it; the port records every click it is handed.
 */
async function cardServer(
  t: Test,
  actions: Record<string, CardActionHandler>,
  opts: { secret?: string; accepting?: () => boolean } = {},
) {
  const core = clickCore(actions)
  const handed: InboundCardAction[] = []
  const port: InboundPort = {
    handle: (msg, sink) => core.bot.handle(msg, sink),
    keep: (msg) => core.bot.keep(msg),
    event: (evt) => core.bot.event(evt),
    busy: () => core.bot.busy(),
    cardAction: (action) => {
      handed.push(action)
      return core.bot.cardAction(action)
    },
  }
  const { log, capture } = captureLogger()
  const server = buildServer(log, new Readiness())
  registerCardCallback(server, {
    port,
    secret: opts.secret ?? CARD_SECRET,
    accepting: opts.accepting ?? (() => true),
  })
  const url = await server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => server.close())
  const post = (body: unknown, headers = cardHeaders()) =>
    fetch(`${url}${CARD_CALLBACK_PATH}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { post, handed, capture, core }
}

t.test('the click’s body: the action, the card, the user; the id is derived from the content', async (t) => {
  const body = clickBody({ action: 'members', extra: { page: 2 } })
  const parsed = parseCardCallback(body, 'http', 5)
  if (!parsed.ok) throw new Error(parsed.reason)
  t.same(parsed.action, {
    id: parsed.action.id,
    transport: 'http',
    receivedAt: 5,
    outTrackId: body.outTrackId,
    corpId: body.corpId,
    userId: body.userId,
    action: 'members',
    params: { action: 'members', page: 2 },
  })
  const independent = createHash('sha256')
    .update(`${body.outTrackId}|${body.userId}|${body.content}`)
    .digest('base64url')
    .slice(0, 22)
  t.equal(parsed.action.id, independent)
  t.equal(
    clickId('mtg-1', 'u1', '{"cardPrivateData":{"actionIds":["refresh"],"params":{"action":"refresh"}}}'),
    'tliP2lxjJj_QMLQ98lwefk',
    'a vector computed apart (Python hashlib)',
  )
  const again = parseCardCallback(clickBody({ action: 'members', extra: { page: 2 } }), 'stream', 9)
  t.equal(again.ok && again.action.id, parsed.action.id, 'a re-push (or a second press) has the same id')
  const other = parseCardCallback(clickBody({ action: 'members', userId: 'someoneElse' }), 'http', 5)
  t.not(other.ok && other.action.id, parsed.action.id, 'another person’s press is another click')

  const byIds = parseCardCallback(
    { ...body, content: JSON.stringify({ cardPrivateData: { actionIds: ['refresh'] } }) },
    'http',
    5,
  )
  t.match(byIds, { ok: true, action: { action: 'refresh', params: {} } }, 'no params.action: actionIds[0]')
  t.match(parseCardCallback({ ...body, corpId: 7 }, 'http', 5), { ok: true, action: { corpId: '' } })
})

t.test('bodies that are no click: the reason, never the content', async (t) => {
  const body = clickBody()
  const content = (cardPrivateData: unknown) => JSON.stringify({ cardPrivateData })
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'x', /not an object/],
    ['an array', [body], /not an object/],
    ['no outTrackId', { ...body, outTrackId: undefined }, /outTrackId/],
    ['odd outTrackId', { ...body, outTrackId: 'has spaces in it' }, /outTrackId/],
    ['no userId', { ...body, userId: '' }, /userId/],
    ['no content', { ...body, content: undefined }, /content/],
    ['content not JSON', { ...body, content: '{LEAK-ME' }, /not JSON/],
    ['no cardPrivateData', { ...body, content: '{}' }, /cardPrivateData/],
    ['no action', { ...body, content: content({ actionIds: [], params: {} }) }, /action/],
    ['odd action', { ...body, content: content({ params: { action: 'LEAK ME<script>' } }) }, /action/],
  ]
  for (const [name, b, reason] of cases) {
    const r = parseCardCallback(b, 'http', 1)
    t.equal(r.ok, false, name)
    if (!r.ok) {
      t.match(r.reason, reason, name)
      t.notMatch(r.reason, /LEAK/, `${name}: no content in the reason`)
    }
  }
})

t.test('the answer: the fixture’s shape with data, an empty response without', async (t) => {
  // ../shared/fixtures/stream-card-callback-ack.json's data, verbatim.
  const fixtureData =
    '{"response": {"cardData": {"cardParamMap": {"activeNum": "7"}}, "cardUpdateOptions": {"updateCardDataByKey": true}}}'
  t.same(cardAnswer({ activeNum: '7' }), JSON.parse(fixtureData))
  t.same(cardAnswer(), { response: {} })
  t.equal(CARD_ANSWER_MS, 1500)
})

t.test('a signed click: 200 with the handler’s card data; the handler got the click', async (t) => {
  const calls: CardActionContext[] = []
  const s = await cardServer(t, {
    refresh: async (ctx) => {
      calls.push(ctx)
      return { activeNum: '7', note: 'Live · updated 10:05' }
    },
  })
  const res = await s.post(clickBody({ action: 'refresh' }))
  t.equal(res.status, 200)
  t.same(await res.json(), {
    response: {
      cardData: { cardParamMap: { activeNum: '7', note: 'Live · updated 10:05' } },
      cardUpdateOptions: { updateCardDataByKey: true },
    },
  })
  t.equal(calls.length, 1)
  t.match(calls[0]?.action, { transport: 'http', action: 'refresh', userId: 'manager4821' })

  const asString = await s.post(
    JSON.stringify(JSON.stringify(clickBody({ action: 'refresh', userId: 'u2' }))),
  )
  t.equal(asString.status, 200, 'a JSON string of the object is tolerated')
  t.match(await asString.json(), { response: { cardData: { cardParamMap: { activeNum: '7' } } } })

  const dup = await s.post(clickBody({ action: 'refresh', userId: 'u2' }))
  t.same(await dup.json(), { response: {} }, 'the same click again: a duplicate, answered empty')
  t.equal(calls.length, 2, 'ran once per click')
})

t.test('missing, forged, expired signature or no secret: 401, the port never called', async (t) => {
  let ran = 0
  const actions = { refresh: async () => void ran++ }
  const s = await cardServer(t, actions)
  const now = Date.now()
  const cases: Array<[string, Record<string, string>]> = [
    ['no signature headers', { 'content-type': 'application/json' }],
    ['no timestamp', { ...cardHeaders(), 'x-ddpaas-signature-timestamp': '' }],
    ['another secret', cardHeaders('forged-secret')],
    ['the robot secret', cardHeaders(SECRET)],
    ['expired', cardHeaders(CARD_SECRET, now - 61 * 60_000)],
    ['future', cardHeaders(CARD_SECRET, now + 61 * 60_000)],
    ['another timestamp', { ...cardHeaders(), 'x-ddpaas-signature-timestamp': String(now - 1000) }],
  ]
  for (const [name, headers] of cases) {
    const res = await s.post(clickBody(), headers)
    t.equal(res.status, 401, name)
    t.match(await res.json(), { error: 'unauthorized' }, name)
  }
  const unconfigured = await cardServer(t, actions, { secret: '' })
  const res = await unconfigured.post(clickBody(), cardHeaders(''))
  t.equal(res.status, 401, 'no secret configured: nobody can sign')
  t.match(await res.json(), { error: 'unauthorized', message: /not configured/ })
  await sleep(50)
  t.equal(s.handed.length + unconfigured.handed.length, 0, 'the port was never called')
  t.equal(ran, 0, 'the handler never ran')
  t.equal(s.capture.find('card callback rejected: bad signature').length, cases.length)
  const forged = cardHeaders('forged-secret')['x-ddpaas-signature'] as string
  t.notOk(s.capture.raw.includes(forged), 'the signature header is never logged')
})

t.test('a bad body: 400, nothing runs; shutting down: 503', async (t) => {
  const s = await cardServer(t, { refresh: async () => ({ a: 'b' }) })
  for (const body of ['{"outTrackId":', JSON.stringify({ outTrackId: 'x' }), JSON.stringify('not json')]) {
    const res = await s.post(body)
    t.equal(res.status, 400, body)
  }
  t.equal(s.handed.length, 0)
  const closing = await cardServer(t, { refresh: async () => ({ a: 'b' }) }, { accepting: () => false })
  t.equal((await closing.post(clickBody())).status, 503)
  t.equal(closing.handed.length, 0)
})

t.test('a handler slower than 1.5 s: answered empty in time; it finishes afterwards', async (t) => {
  let finished = false
  const s = await cardServer(t, {
    refresh: async () => {
      await sleep(CARD_ANSWER_MS + 400)
      finished = true
      return { note: 'too late for the answer' }
    },
  })
  const started = performance.now()
  const res = await s.post(clickBody())
  const ms = performance.now() - started
  t.equal(res.status, 200)
  t.same(await res.json(), { response: {} })
  t.ok(ms >= CARD_ANSWER_MS - 50 && ms < 2000, `answered within DingTalk's 2 s (${Math.round(ms)} ms)`)
  t.equal(finished, false, 'the handler is still working')
  await s.core.bot.drain(2000)
  t.equal(finished, true, 'and finishes: the feature updates the card itself')
})

t.test(
  'through createApp: the route is there with the HTTP transport, signed by the configured secret',
  async (t) => {
    const emu = await DingTalkEmulator.start({
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      meetings: fixtureMeetings(),
    })
    t.teardown(() => emu.close())
    const calls: string[] = []
    const feature = {
      name: 'test-card-actions',
      cardActions: {
        meetingbot_test_ping: async (ctx: CardActionContext) => {
          calls.push(ctx.action.userId)
          return { note: 'pong' }
        },
      },
    }
    const start = async (env: Record<string, string>) => {
      const { log } = captureLogger()
      const app = await createApp({
        config: testConfig(emu, env),
        log,
        tuning: FAST,
        store: new MemoryStore(),
        extraFeatures: [feature],
      })
      const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
      t.teardown(() => app.stop())
      return (headers: Record<string, string>) =>
        fetch(`${url}${CARD_CALLBACK_PATH}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(clickBody({ action: 'meetingbot_test_ping' })),
        })
    }
    const post = await start({ DINGTALK_CARD_CALLBACK_SECRET: CARD_SECRET })
    const ok = await post(cardHeaders())
    t.equal(ok.status, 200)
    t.match(await ok.json(), { response: { cardData: { cardParamMap: { note: 'pong' } } } })
    t.same(calls, ['manager4821'])
    t.equal((await post(cardHeaders('forged-secret'))).status, 401)
    const unset = await start({})
    t.equal((await unset(cardHeaders())).status, 401, 'no DINGTALK_CARD_CALLBACK_SECRET: refused')
    const streamOnly = await start({
      DINGTALK_TRANSPORTS: 'stream',
      DINGTALK_CARD_CALLBACK_SECRET: CARD_SECRET,
    })
    t.equal((await streamOnly(cardHeaders())).status, 404, 'without the HTTP transport there is no route')
    t.same(calls, ['manager4821'])
  },
)
