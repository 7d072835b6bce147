import t from 'tap'
import { CARD_CALLBACK_TOPIC } from '../../src/emulator/cards.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import {
  EMULATED_USERS,
  isUnionId,
  orgUnionId,
  orgUser,
  robotTextMessage,
} from '../../src/emulator/messages.js'
import { generatedIsvOrgs, SHARED_ROOM_CODE, sampleIsvOrgs } from '../../src/emulator/orgs.js'
import { CLIENT_ID, SECRET, waitFor } from '../helpers/index.js'
import { type Frame, ROBOT_ONLY, streamClient } from '../helpers/stream-client.js'
import { ALPHA, BETA, isvEmulator } from './isv-helpers.js'

const conferences = (body: Record<string, unknown>) =>
  body.conferenceList as Array<{ conferenceId: string; title: string }>

t.test('two orgs: each token answers from its own org only; app tokens open nothing', async (t) => {
  const { emu, token, appToken, call, corpToken } = await isvEmulator(t)
  const [a, b] = [await token(ALPHA), await token(BETA)]
  const byCode = (code: string, tok: string) => call('GET', `/v1.0/conference/roomCodes/${code}/infos`, tok)

  // The room code both orgs have: each sees its own meeting.
  const sharedA = await byCode(SHARED_ROOM_CODE, a)
  const sharedB = await byCode(SHARED_ROOM_CODE, b)
  t.same(
    conferences(sharedA.body).map((c) => c.title),
    ['Alpha weekly sync'],
  )
  t.same(
    conferences(sharedB.body).map((c) => c.title),
    ['Beta customer call'],
  )
  // A room code of one org does not exist for the other.
  t.equal(conferences((await byCode('211300401', a)).body).length, 1)
  t.match((await byCode('211300401', b)).body, { conferenceList: [], totalCount: 0 })

  const alphaId = (conferences(sharedA.body)[0] as { conferenceId: string }).conferenceId
  const info = (tok: string) => call('GET', `/v1.0/conference/videoConferences/${alphaId}`, tok)
  const members = (tok: string) => call('GET', `/v1.0/conference/videoConferences/${alphaId}/members`, tok)
  t.match((await info(a)).body, { confInfo: { title: 'Alpha weekly sync', activeNum: 3 } })
  t.match(await info(b), { status: 404, body: { code: 'roomNotFound' } }, "org B cannot see org A's meeting")
  t.match((await members(a)).body, { totalCount: 3 })
  t.match(await members(b), { status: 404, body: { code: 'roomNotFound' } })

  // The internal app's token is refused by every org-data API, as a bad token is.
  const app = await appToken()
  t.ok(app, 'the app token itself is still issued')
  for (const r of [await byCode(SHARED_ROOM_CODE, app), await info(app), await members(app)])
    t.match(r, { status: 400, body: { code: 'InvalidAuthentication' } })

  // Per-org counts beside the overall ones.
  t.equal(emu.isv.callsOf(ALPHA, 'conference.byRoomCode'), 2)
  t.equal(emu.isv.callsOf(BETA, 'conference.byRoomCode'), 2)
  t.equal(emu.isv.callsOf(ALPHA, 'conference.info'), 1)
  t.equal(emu.isv.callsOf(BETA, 'conference.info'), 1)
  t.equal(emu.isv.callsOf(ALPHA, 'corp.token'), 1)
  t.equal(emu.count('conference.byRoomCode'), 5, 'the app-token call counts overall, for no org')
  t.match(emu.isv.callsByOrg(), { [ALPHA]: { 'corp.token': 1, 'conference.members': 1 } })

  // A token stops working when revoked, or when its org uninstalls (see isv-events for the frame).
  emu.isv.revokeTokens(ALPHA)
  t.match(await info(a), { status: 400, body: { code: 'InvalidAuthentication' } })
  t.equal((await byCode(SHARED_ROOM_CODE, b)).status, 200, "the other org's token still works")
  emu.revokeTokens()
  t.equal((await byCode(SHARED_ROOM_CODE, b)).status, 400, 'revokeTokens revokes org tokens too')
  t.match(await corpToken('dingcorpNobody'), { status: 400, body: { code: 'invalidAuthInfo' } })
  emu.resetCounters()
  t.equal(emu.isv.callsOf(ALPHA, 'conference.info'), 0)
  t.equal(emu.isv.count(BETA), 0)
})

t.test('org tokens expire after tokenTtlSeconds', async (t) => {
  const { token, call } = await isvEmulator(t, { tokenTtlSeconds: 0.05 })
  const a = await token(ALPHA)
  await new Promise((r) => setTimeout(r, 80))
  t.match(await call('GET', `/v1.0/conference/roomCodes/${SHARED_ROOM_CODE}/infos`, a), {
    status: 400,
    body: { code: 'InvalidAuthentication' },
  })
})

t.test('robot sends: the org token, the org robot code, the org recorded', async (t) => {
  const orgs = sampleIsvOrgs(Date.now())
  const [alpha, beta] = orgs as [(typeof orgs)[0], (typeof orgs)[0]]
  const { emu, token, call } = await isvEmulator(t, {
    orgs: [alpha, { ...beta, robotCode: 'dingbetarobot' }],
  })
  const [a, b] = [await token(ALPHA), await token(BETA)]
  const send = (tok: string, robotCode: string) =>
    call('POST', '/v1.0/robot/groupMessages/send', tok, {
      robotCode,
      openConversationId: 'cidG1==',
      msgKey: 'sampleMarkdown',
      msgParam: JSON.stringify({ title: 't', text: 'x' }),
    })
  t.equal((await send(a, CLIENT_ID)).status, 200, "the suite's robot code is every org's by default")
  t.match(await send(b, CLIENT_ID), { status: 400, body: { code: 'invalidParameter.robotCode' } })
  t.equal((await send(b, 'dingbetarobot')).status, 200, 'an org with its own robot code')
  const oto = await call('POST', '/v1.0/robot/oToMessages/batchSend', b, {
    robotCode: 'dingbetarobot',
    userIds: ['beta0001'],
    msgKey: 'sampleText',
    msgParam: JSON.stringify({ content: 'hi' }),
  })
  t.equal(oto.status, 200)
  t.same(
    emu.replies.map((r) => [r.corpId, r.conversationId ?? r.userIds]),
    [
      [ALPHA, 'cidG1=='],
      [BETA, 'cidG1=='],
      [BETA, ['beta0001']],
    ],
  )
  t.equal(emu.isv.callsOf(BETA, 'robot.groupSend'), 2)
  t.equal(emu.isv.callsOf(BETA, 'robot.otoSend'), 1)
  // Session webhooks handed out for an org record it too.
  const hook = emu.newSessionWebhook(BETA)
  await fetch(hook, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"msgtype":"text"}',
  })
  t.equal(emu.replies.at(-1)?.corpId, BETA)
})

t.test(
  'cards: userIdType 2 with unionIds in ISV mode; only the org that made a card updates it',
  async (t) => {
    const { emu, token, call } = await isvEmulator(t)
    const [a, b] = [await token(ALPHA), await token(BETA)]
    const union = orgUnionId(ALPHA, 'user0001')
    const card = (over: Record<string, unknown>) => ({
      cardTemplateId: 'tpl.schema',
      outTrackId: 'card-1',
      callbackType: 'STREAM',
      cardData: { cardParamMap: { title: 'Alpha weekly sync' } },
      openSpaceId: `dtv1.card//IM_ROBOT.${union}`,
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: CLIENT_ID },
      userIdType: 2,
      ...over,
    })
    const create = (tok: string, over: Record<string, unknown> = {}) =>
      call('POST', '/v1.0/card/instances/createAndDeliver', tok, card(over))
    t.match(await create(a, { userIdType: undefined }), {
      status: 400,
      body: { code: 'param.invalid', message: /userIdType must be 2/ },
    })
    t.match(await create(a, { openSpaceId: 'dtv1.card//IM_ROBOT.user0001' }), {
      status: 400,
      body: { code: 'param.invalid', message: /openSpaceId IM_ROBOT\.user0001 is not a unionId/ },
    })
    const group = {
      openSpaceId: 'dtv1.card//IM_GROUP.cidG1==',
      imRobotOpenDeliverModel: undefined,
      imGroupOpenDeliverModel: { robotCode: CLIENT_ID, atUserIds: { user0001: 'Li Lei' } },
    }
    t.match(await create(a, group), {
      status: 400,
      body: { code: 'param.invalid', message: /atUserIds key user0001 is not a unionId/ },
    })
    t.equal(emu.cards.list().length, 0, 'nothing refused is stored')
    t.match(await create(a), { status: 200, body: { success: true } })
    t.equal(emu.cards.get('card-1')?.corpId, ALPHA)
    const okGroup = {
      ...group,
      outTrackId: 'card-2',
      imGroupOpenDeliverModel: { robotCode: CLIENT_ID, atUserIds: { [union]: 'Li Lei' } },
    }
    t.equal((await create(a, okGroup)).status, 200)

    const update = (tok: string) =>
      call('PUT', '/v1.0/card/instances', tok, {
        outTrackId: 'card-1',
        cardData: { cardParamMap: { title: 'changed' } },
        cardUpdateOptions: { updateCardDataByKey: true },
      })
    t.match(
      await update(b),
      { status: 400, body: { code: 'param.cardNotExist' } },
      "org B cannot touch A's card",
    )
    t.equal(emu.cards.get('card-1')?.data.title, 'Alpha weekly sync')
    t.equal((await update(a)).status, 200)
    t.equal(emu.cards.get('card-1')?.data.title, 'changed')
    // A click on the org's card says the org.
    const bot = await streamClient(emu, [...ROBOT_ONLY, { type: 'CALLBACK', topic: CARD_CALLBACK_TOPIC }])
    const pressed = emu.cards.press('card-1', 'refresh')
    await waitFor(() => bot.frames.length === 1, 2000, 'the click')
    const click = bot.frames[0] as Frame
    t.match(JSON.parse(click.data), { corpId: ALPHA, outTrackId: 'card-1' })
    bot.ack(click.headers.messageId, { response: {} })
    t.match(await pressed, { via: 'stream' })
    t.equal(emu.isv.callsOf(ALPHA, 'card.deliver'), 5)
    t.equal(emu.isv.callsOf(BETA, 'card.update'), 1)
  },
)

t.test('internal mode is unchanged: staff ids on cards, app tokens, no orgs', async (t) => {
  const emu = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings: [] })
  t.teardown(() => emu.close())
  t.equal(emu.isv.enabled, false)
  t.equal(emu.isv.ticket, undefined, 'no ticket unless given')
  const r = await fetch(`${emu.baseUrl}/v1.0/oauth2/accessToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appKey: CLIENT_ID, appSecret: SECRET }),
  })
  const { accessToken } = (await r.json()) as { accessToken: string }
  const res = await fetch(`${emu.baseUrl}/v1.0/card/instances/createAndDeliver`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': accessToken },
    body: JSON.stringify({
      cardTemplateId: 'tpl.schema',
      outTrackId: 'c1',
      callbackType: 'STREAM',
      cardData: { cardParamMap: {} },
      openSpaceId: 'dtv1.card//IM_ROBOT.user0001',
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: CLIENT_ID },
    }),
  })
  t.equal(res.status, 200)
  t.equal(emu.cards.get('c1')?.corpId, undefined)
})

t.test('robot messages as an org user; sample and generated orgs', async (t) => {
  const [alpha, beta] = sampleIsvOrgs(Date.now()) as [
    ReturnType<typeof sampleIsvOrgs>[0],
    ReturnType<typeof sampleIsvOrgs>[0],
  ]
  const spec = {
    text: 'help',
    conversation: 'group',
    sessionWebhook: 'https://x/s',
    robotCode: 'rc',
  } as const
  const m = robotTextMessage({ ...spec, user: orgUser(alpha, 'admin'), org: alpha })
  t.match(m, {
    chatbotCorpId: ALPHA,
    senderCorpId: ALPHA,
    senderStaffId: 'alpha0001',
    senderUnionId: orgUnionId(ALPHA, 'alpha0001'),
    isAdmin: true,
    robotCode: 'rc',
    conversationId: `cidEmulatorGroup0001.${ALPHA}==`,
  })
  const inBeta = robotTextMessage({ ...spec, user: EMULATED_USERS.user, org: beta })
  t.not(inBeta.senderUnionId, orgUnionId(ALPHA, 'user0001'), 'one staff id, another person in another org')
  t.equal(inBeta.senderUnionId, orgUnionId(BETA, 'user0001'), 'stable')
  t.ok(isUnionId(inBeta.senderUnionId))
  t.equal(
    robotTextMessage({ ...spec, user: EMULATED_USERS.admin, org: beta }).isAdmin,
    false,
    "admin0001 is not Beta's admin",
  )
  t.equal(robotTextMessage({ ...spec, user: EMULATED_USERS.admin }).chatbotCorpId, 'dingcorpEmulator')
  t.throws(() => orgUser({ corpId: 'x' }, 'admin'), /has no admin/)

  const titles = [alpha, beta].map((o) => o.meetings.find((x) => x.roomCode === SHARED_ROOM_CODE)?.title)
  t.same(titles, ['Alpha weekly sync', 'Beta customer call'])
  t.same([alpha.admins, beta.admins], [['alpha0001'], ['beta0001']])

  const gen = generatedIsvOrgs(50, Date.now())
  t.equal(new Set(gen.map((o) => o.corpId)).size, 50)
  const ids = gen.flatMap((o) => o.meetings.map((x) => x.conferenceId))
  t.equal(new Set(ids).size, 100, 'conference ids unique across orgs')
  t.ok(ids.every((id) => /^[0-9a-f]{24}$/.test(id)))
  t.match(gen[49], {
    corpId: 'dingcorpGen0050',
    admins: ['admin0050'],
    meetings: [{ roomCode: '800000050' }, { roomCode: SHARED_ROOM_CODE }],
  })
  t.throws(() => generatedIsvOrgs(0, 0), RangeError)
})
