import { createHmac } from 'node:crypto'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { CARD_CALLBACK_TOPIC } from '../../src/emulator/cards.js'
import { DingTalkEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js'
import { CLIENT_ID, SECRET } from '../helpers/index.js'
import { ROBOT_ONLY, streamClient } from '../helpers/stream-client.js'

const GROUP_ID = 'cidK3nV8pQ2xYwLmZ5tR9aB1cD=='
const CARD_SUBSCRIPTIONS = [...ROBOT_ONLY, { type: 'CALLBACK', topic: CARD_CALLBACK_TOPIC }]

async function emulator(t: Test, opts: Partial<EmulatorOptions> = {}) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    control: { info: () => ({ botUrl: '' }) },
    ...opts,
  })
  t.teardown(() => emu.close())
  const res = await fetch(`${emu.baseUrl}/v1.0/oauth2/accessToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appKey: CLIENT_ID, appSecret: SECRET }),
  })
  const { accessToken } = (await res.json()) as { accessToken: string }
  const call = async (method: string, path: string, body: unknown, token = accessToken) => {
    const r = await fetch(`${emu.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token },
      body: JSON.stringify(body),
    })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  const control = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${emu.baseUrl}/_emulator${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  return { emu, call, control }
}

/**
 * The group card as the bot sends it: ../shared/fixtures/card-create-and-deliver-request.json (not
 * copied into test/fixtures yet), with this app's robot code.
 */
function createBody(over: Record<string, unknown> = {}) {
  return {
    cardTemplateId: 'a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6.schema',
    outTrackId: 'mtg-7e2d4b6a-cidK3nV8-1764724200',
    callbackType: 'STREAM',
    cardData: {
      cardParamMap: {
        title: '项目周会',
        status: 'in_progress',
        activeNum: '5',
        attendNum: '6',
        invitedNum: '14',
        joinUrl: 'https://meeting.dingtalk.com/app?roomCode=615902734&token=1_4c7f',
      },
    },
    openSpaceId: `dtv1.card//IM_GROUP.${GROUP_ID}`,
    imGroupOpenSpaceModel: { supportForward: true },
    imGroupOpenDeliverModel: { robotCode: CLIENT_ID, atUserIds: { manager4821: '李雷' } },
    ...over,
  }
}

/** ../shared/fixtures/card-update-request.json */
const UPDATE = {
  outTrackId: 'mtg-7e2d4b6a-cidK3nV8-1764724200',
  cardData: { cardParamMap: { activeNum: '7', attendNum: '8' } },
  cardUpdateOptions: { updateCardDataByKey: true },
}

/** The `data` of ../shared/fixtures/stream-card-callback-ack.json. */
const ACK_DATA = {
  response: {
    cardData: { cardParamMap: { activeNum: '7' } },
    cardUpdateOptions: { updateCardDataByKey: true },
  },
}

const create = (
  call: Awaited<ReturnType<typeof emulator>>['call'],
  over: Record<string, unknown> = {},
  token?: string,
) => call('POST', '/v1.0/card/instances/createAndDeliver', createBody(over), token)

t.test('createAndDeliver stores the instance with its data and answers like DingTalk', async (t) => {
  const { emu, call } = await emulator(t)
  const res = await create(call)
  t.equal(res.status, 200)
  t.match(res.body, {
    success: true,
    result: {
      outTrackId: 'mtg-7e2d4b6a-cidK3nV8-1764724200',
      deliverResults: [{ spaceType: 'IM_GROUP', spaceId: GROUP_ID, success: true, carrierId: /^proc/ }],
    },
  })
  const card = emu.cards.get('mtg-7e2d4b6a-cidK3nV8-1764724200')
  t.match(card, {
    templateId: 'a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6.schema',
    space: { type: 'IM_GROUP', id: GROUP_ID },
    robotCode: CLIENT_ID,
    callbackType: 'STREAM',
    atUserIds: { manager4821: '李雷' },
    data: { title: '项目周会', activeNum: '5', joinUrl: /^https:/ },
    updates: [],
    clicks: [],
  })
  t.equal(emu.cards.list().length, 1)
  t.equal(emu.count('card.deliver'), 1)

  const single = await create(call, {
    outTrackId: 'one-to-one',
    openSpaceId: 'dtv1.card//IM_ROBOT.user0001',
    imGroupOpenDeliverModel: undefined,
    imRobotOpenSpaceModel: { supportForward: true },
    imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: CLIENT_ID },
    callbackType: 'HTTP',
    callbackRouteKey: 'route1',
  })
  t.equal(single.status, 200)
  t.match(emu.cards.get('one-to-one'), {
    space: { type: 'IM_ROBOT', id: 'user0001' },
    callbackType: 'HTTP',
    callbackRouteKey: 'route1',
  })
})

t.test('an update merges by key; without the flag it replaces the data', async (t) => {
  const { emu, call } = await emulator(t)
  await create(call)
  const id = 'mtg-7e2d4b6a-cidK3nV8-1764724200'
  const v1 = emu.cards.version
  const changed = emu.cards.waitForChange(v1, 2000)
  const res = await call('PUT', '/v1.0/card/instances', UPDATE)
  t.same(res, { status: 200, body: { success: true, result: true } })
  t.ok((await changed) > v1, 'a change is notified')
  t.match(emu.cards.get(id)?.data, { title: '项目周会', activeNum: '7', attendNum: '8', invitedNum: '14' })
  await call('PUT', '/v1.0/card/instances', { outTrackId: id, cardData: { cardParamMap: { title: 'only' } } })
  t.same(emu.cards.get(id)?.data, { title: 'only' }, 'replaced whole')
  t.match(emu.cards.updatesOf(id), [
    { by: 'api', byKey: true, data: { activeNum: '7', attendNum: '8' } },
    { by: 'api', byKey: false, data: { title: 'only' } },
  ])
  t.equal(emu.count('card.update'), 2)
})

t.test('bad requests answer DingTalk error bodies', async (t) => {
  const { emu, call } = await emulator(t)
  const unknown = await call('PUT', '/v1.0/card/instances', {
    outTrackId: 'nope',
    cardData: { cardParamMap: { a: 'b' } },
    cardUpdateOptions: { updateCardDataByKey: true },
  })
  t.equal(unknown.status, 400)
  t.match(unknown.body, { code: 'param.cardNotExist', requestid: /^[0-9A-F]{16}$/ })

  const number = await create(call, { cardData: { cardParamMap: { activeNum: 5 } } })
  t.equal(number.status, 400)
  t.match(number.body, { code: 'param.invalid', message: /activeNum must be a string/ })
  const long = await create(call, { cardData: { cardParamMap: { body: 'x'.repeat(1025) } } })
  t.match(long.body, { code: 'param.invalid', message: /1025 bytes/ })
  for (const over of [
    { openSpaceId: 'IM_GROUP.x' },
    { outTrackId: undefined },
    { cardTemplateId: '' },
    { callbackType: 'WEBHOOK' },
    { imGroupOpenDeliverModel: { robotCode: 'someone-else' } },
  ]) {
    const res = await create(call, over)
    t.equal(res.status, 400, JSON.stringify(over))
    t.match(res.body, { code: 'param.invalid' })
  }
  t.equal(emu.cards.list().length, 0, 'nothing stored')

  t.equal((await create(call)).status, 200)
  const dup = await create(call)
  t.equal(dup.status, 400)
  t.match(dup.body, { code: 'param.duplicateOutTrackId' })

  const token = await create(call, { outTrackId: 'other' }, 'not-a-token')
  t.match(token.body, { code: 'InvalidAuthentication' })
  t.equal(emu.cards.list().length, 1)
})

t.test('nextDeliver: 200 that delivered nothing, and a partial delivery', async (t) => {
  const { emu, call, control } = await emulator(t)
  emu.cards.nextDeliver('success-false')
  const none = await create(call)
  t.same(none, { status: 200, body: { success: false, result: { deliverResults: [] } } })
  t.same(await control('POST', '/cards/next-deliver', { outcome: 'partial' }), {
    status: 200,
    body: { ok: true, outcome: 'partial' },
  })
  const partial = await create(call)
  t.match(partial.body, {
    success: true,
    result: {
      deliverResults: [
        { spaceType: 'IM_GROUP', spaceId: GROUP_ID, success: false, errorMsg: 'robot not in group' },
      ],
    },
  })
  t.equal(emu.cards.list().length, 0, 'a card that reached no chat is not stored')
  t.equal((await create(call)).body.success, true, 'the knob is used up; the same outTrackId works')
  t.equal((await control('POST', '/cards/next-deliver', { outcome: 'maybe' })).status, 400)
})

t.test('faults play on card.deliver and card.update, also through the control API', async (t) => {
  const { emu, call, control } = await emulator(t)
  emu.fail('card.deliver', { status: 403, code: 'QpsLimit' })
  const limited = await create(call)
  t.equal(limited.status, 403)
  t.match(limited.body, { code: 'QpsLimit' })
  t.equal(emu.cards.list().length, 0)
  t.equal((await create(call)).status, 200, 'once')
  t.equal(
    (await control('POST', '/faults', { target: 'card.update', fault: { status: 500, code: 'system.busy' } }))
      .status,
    200,
  )
  const busy = await call('PUT', '/v1.0/card/instances', UPDATE)
  t.equal(busy.status, 500)
  t.match(busy.body, { code: 'system.busy' })
  t.equal(emu.count('card.deliver'), 2)
  t.equal(emu.count('card.update'), 1)
})

t.test('press over HTTP: signed POST to the bot, its card data applied by key', async (t) => {
  const { emu, call, control } = await emulator(t, { cardCallbackSecret: 'card-secret-1' })
  const bot = Fastify()
  const seen: Array<{ headers: Record<string, unknown>; body: Record<string, unknown> }> = []
  bot.post('/dingtalk/card-callback', async (req, reply) => {
    const ts = String(req.headers['x-ddpaas-signature-timestamp'])
    const expected = createHmac('sha256', 'card-secret-1').update(ts).digest('base64')
    if (req.headers['x-ddpaas-signature'] !== expected)
      return reply.code(401).send({ error: 'bad signature' })
    seen.push({ headers: req.headers, body: req.body as Record<string, unknown> })
    return {
      response: {
        cardData: { cardParamMap: { note: 'x' } },
        cardUpdateOptions: { updateCardDataByKey: true },
      },
    }
  })
  const url = await bot.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => bot.close())
  await create(call, { callbackType: 'HTTP' })
  const id = 'mtg-7e2d4b6a-cidK3nV8-1764724200'

  await t.rejects(emu.cards.press(id, 'refresh'), {
    kind: 'callback_failed',
    message: /no card callback URL/,
  })
  emu.cards.callbackUrl = `${url}/dingtalk/card-callback`
  const result = await emu.cards.press(id, 'refresh', { userId: 'manager4821' })
  t.match(result, { via: 'http', ms: Number, response: { cardData: { cardParamMap: { note: 'x' } } } })
  t.equal(seen.length, 1)
  const body = seen[0]?.body as Record<string, unknown>
  t.match(body, {
    type: 'actionCallback',
    outTrackId: id,
    corpId: 'dingcorpEmulator',
    userId: 'manager4821',
    spaceType: 'IM_GROUP',
    spaceId: GROUP_ID,
    userIdType: 1,
  })
  t.same(JSON.parse(String(body.content)), {
    cardPrivateData: { actionIds: ['refresh'], params: { action: 'refresh' } },
  })
  const card = emu.cards.get(id)
  t.match(card?.data, { note: 'x', title: '项目周会' }, 'applied by key')
  t.match(card?.updates, [{ by: 'callback', byKey: true, data: { note: 'x' } }])
  t.match(card?.clicks, [
    { action: 'refresh', via: 'http', error: /no card callback URL/ },
    { action: 'refresh', userId: 'manager4821', via: 'http', response: { cardData: {} } },
  ])

  // The control API presses too; a bad signature (another secret) is the bot's 401, a failed press.
  const viaControl = await control('POST', `/cards/${id}/press`, { action: 'members' })
  t.match(viaControl, { status: 200, body: { via: 'http', response: { cardData: {} } } })
  t.equal(seen[1]?.body.userId, 'user0001', 'the emulated user by default')
  const forged = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings: [] })
  t.teardown(() => forged.close())
  forged.cards.callbackUrl = emu.cards.callbackUrl
  forged.cards.instances.set(id, { ...(card as NonNullable<typeof card>), clicks: [], updates: [] })
  await t.rejects(forged.cards.press(id, 'refresh'), { kind: 'callback_failed', message: /HTTP 401/ })
  t.match(
    forged.cards.get(id)?.clicks,
    [{ action: 'refresh', error: /HTTP 401/ }],
    'a failed click is recorded',
  )
})

t.test('press over Stream: a CALLBACK frame on the card topic, answered by its ack', async (t) => {
  const { emu, call } = await emulator(t)
  await create(call)
  const id = 'mtg-7e2d4b6a-cidK3nV8-1764724200'
  await t.rejects(
    emu.cards.press(id, 'refresh'),
    { kind: 'no_stream', message: /no live/ },
    'nobody connected',
  )
  const robotOnly = await streamClient(emu, ROBOT_ONLY)
  await t.rejects(
    emu.cards.press(id, 'refresh'),
    { kind: 'no_stream', message: /subscribed to \/v1\.0\/card\/instances\/callback/ },
    'a connection that did not subscribe the card topic gets no click',
  )
  const bot = await streamClient(emu, CARD_SUBSCRIPTIONS)
  const pressing = emu.cards.press(id, 'watch', { params: { from: 'test' } })
  await emu.stream.waitFor(() => bot.frames.length > 0)
  const frame = bot.frames[0]
  t.match(frame, { type: 'CALLBACK', headers: { topic: CARD_CALLBACK_TOPIC, appId: CLIENT_ID } })
  const data = JSON.parse(String(frame?.data)) as Record<string, unknown>
  t.match(data, {
    type: 'actionCallback',
    outTrackId: id,
    userId: 'user0001',
    spaceType: 'IM_GROUP',
    userIdType: 1,
  })
  t.same(JSON.parse(String(data.content)), {
    cardPrivateData: { actionIds: ['watch'], params: { from: 'test', action: 'watch' } },
  })
  bot.ack(frame?.headers.messageId as string, {
    response: {
      cardData: { cardParamMap: { watching: 'true', watchAction: 'unwatch' } },
      cardUpdateOptions: { updateCardDataByKey: true },
    },
  })
  const result = await pressing
  t.match(result, { via: 'stream', messageId: frame?.headers.messageId, response: { cardData: {} } })
  t.ok(result.ms < 2000)
  t.match(emu.cards.get(id)?.data, { watching: 'true', watchAction: 'unwatch', title: '项目周会' })
  t.equal(robotOnly.frames.length, 0)

  // The Watch button now sends unwatch; Join is a link.
  await t.rejects(emu.cards.press(id, 'watch'), {
    kind: 'unknown_action',
    message: /refresh, members, unwatch/,
  })
  await t.rejects(emu.cards.press(id, 'join'), { kind: 'unknown_action', message: /Join is a link/ })
  await t.rejects(emu.cards.press('nope', 'refresh'), { kind: 'unknown_card', message: /nope/ })
})

t.test('a click not acked is re-pushed with a new messageId and the same data', async (t) => {
  const { emu, call } = await emulator(t, { stream: { redeliverAfterMs: 200 } })
  await create(call)
  const id = 'mtg-7e2d4b6a-cidK3nV8-1764724200'
  const bot = await streamClient(emu, CARD_SUBSCRIPTIONS)
  const pressing = emu.cards.press(id, 'refresh')
  await emu.stream.waitFor(() => bot.frames.length >= 2, 3000, 'a re-push')
  const [first, again] = bot.frames
  t.not(first?.headers.messageId, again?.headers.messageId)
  t.equal(first?.data, again?.data)
  t.equal(again?.headers.topic, CARD_CALLBACK_TOPIC)
  // The bot's ack as the fixture has it: {"response": {"cardData": {"cardParamMap": {"activeNum": "7"}}, ...}}.
  bot.ack(again?.headers.messageId as string, ACK_DATA)
  const result = await pressing
  t.equal(result.messageId, again?.headers.messageId, 'the first ack of any push answers')
  t.equal(emu.cards.get(id)?.data.activeNum, '7')
  t.equal(emu.cards.get(id)?.clicks.length, 1, 'one click, however many pushes')
})

t.test('a press with no ack at all fails after the press timeout', async (t) => {
  const { emu, call } = await emulator(t, { stream: { redeliverAfterMs: 0 }, cardPressTimeoutMs: 300 })
  await create(call)
  await streamClient(emu, CARD_SUBSCRIPTIONS)
  const id = 'mtg-7e2d4b6a-cidK3nV8-1764724200'
  await t.rejects(emu.cards.press(id, 'refresh'), { kind: 'callback_failed', message: /within 300 ms/ })
  t.match(emu.cards.get(id)?.clicks, [{ action: 'refresh', via: 'stream', error: /within 300 ms/ }])
})

t.test('control API: follow the cards by version, in one space, and press', async (t) => {
  const { emu, call, control } = await emulator(t)
  const empty = await control('GET', '/cards?after=0')
  t.same(empty, { status: 200, body: { version: 0, cards: [] } })
  const waiting = control('GET', '/cards?after=0&waitMs=3000')
  await create(call)
  const first = await waiting
  t.match(first.body, {
    version: 1,
    cards: [{ outTrackId: 'mtg-7e2d4b6a-cidK3nV8-1764724200', data: { title: '项目周会' } }],
  })
  await create(call, {
    outTrackId: 'single',
    openSpaceId: 'dtv1.card//IM_ROBOT.user0001',
    imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: CLIENT_ID },
  })
  const group = await control(
    'GET',
    `/cards?after=0&spaceType=IM_GROUP&spaceId=${encodeURIComponent(GROUP_ID)}`,
  )
  t.equal((group.body.cards as unknown[]).length, 1)
  const after = await control('GET', '/cards?after=1')
  t.match(after.body, { version: 2, cards: [{ outTrackId: 'single' }] })
  t.same((await control('GET', '/cards?after=2&waitMs=50')).body, { version: 2, cards: [] })

  t.match(await control('POST', '/cards/nope/press', { action: 'refresh' }), {
    status: 400,
    body: { error: 'unknown_card', message: /nope/ },
  })
  t.match(await control('POST', '/cards/single/press', { action: 'dance' }), {
    status: 400,
    body: { error: 'unknown_action', message: /refresh, members, watch/ },
  })
  t.match(await control('POST', '/cards/single/press', {}), { status: 400, body: { error: 'bad_request' } })
  t.match(await control('POST', '/cards/single/press', { action: 'refresh' }), {
    status: 409,
    body: { error: 'no_stream' },
  })
  const bot = await streamClient(emu, CARD_SUBSCRIPTIONS)
  const pressing = control('POST', '/cards/single/press', { action: 'members', userId: 'admin0001' })
  await emu.stream.waitFor(() => bot.frames.length > 0)
  const frame = bot.frames[0]
  t.match(JSON.parse(String(frame?.data)), {
    userId: 'admin0001',
    spaceType: 'IM_ROBOT',
    spaceId: 'user0001',
  })
  bot.ack(frame?.headers.messageId as string, {
    response: { cardData: { cardParamMap: { members: '- Bob' } } },
  })
  t.match(await pressing, {
    status: 200,
    body: { via: 'stream', response: { cardData: { cardParamMap: { members: '- Bob' } } } },
  })
  const followed = await control('GET', '/cards?after=2')
  t.match(followed.body, {
    version: 4,
    cards: [
      {
        outTrackId: 'single',
        data: { members: '- Bob' },
        clicks: [
          { action: 'refresh', error: /no live stream connection/ },
          { action: 'members', userId: 'admin0001' },
        ],
      },
    ],
  })
})
