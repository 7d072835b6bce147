import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import t from 'tap'
import { decryptEvent, signatureMatches, successReply } from '../../src/dingtalk/event-crypto.js'
import { sampleIsvOrgs } from '../../src/emulator/orgs.js'
import { CLIENT_ID, waitFor } from '../helpers/index.js'
import { type Frame, ROBOT_ONLY, streamClient } from '../helpers/stream-client.js'
import { ALPHA, BETA, isvEmulator, TICKET } from './isv-helpers.js'

const data = (f: Frame) => JSON.parse(f.data) as Record<string, unknown>
const ofType = (frames: Frame[], type: string) => frames.filter((f) => f.headers.eventType === type)

t.test('the suite ticket: pushed on connect, by pushTicket to every bot, and on rotation', async (t) => {
  const { emu, corpToken } = await isvEmulator(t, { pushTicketOnConnect: true })
  const c1 = await streamClient(emu)
  await waitFor(() => c1.events().length === 1, 2000, 'the ticket pushed on connect')
  const [first] = c1.events() as [Frame]
  t.match(first.headers, {
    eventType: 'suite_ticket',
    eventCorpId: 'dingsuiteEmulator',
    eventUnifiedAppId: CLIENT_ID,
    topic: '*',
  })
  t.ok(Number(first.headers.eventBornTime) > 0)
  t.same(data(first), { suiteTicket: TICKET })
  c1.ack(first.headers.messageId)

  // A connection that subscribed no events gets none; the next bot gets its own.
  const robotOnly = await streamClient(emu, ROBOT_ONLY)
  const c2 = await streamClient(emu)
  await waitFor(() => c2.events().length === 1, 2000, "the second bot's ticket")
  t.not((c2.events()[0] as Frame).headers.eventId, first.headers.eventId, 'a new push, a new event')

  // Meeting events off: the ticket still comes (the console's event switch is about meetings).
  emu.stream.setEvents(false)
  const rotated = emu.isv.rotateTicket('TICKETrotated42')
  t.equal(rotated.messageIds.length, 2, 'to every connected bot that subscribed events')
  await waitFor(() => c1.events().length === 2 && c2.events().length === 2, 2000, 'the rotated ticket')
  for (const c of [c1, c2]) {
    const f = c.events()[1] as Frame
    t.same(data(f), { suiteTicket: 'TICKETrotated42' })
    t.equal(f.headers.eventId, rotated.eventId, 'one event to every bot: de-duplicated by id across replicas')
    c.ack(f.headers.messageId)
  }
  t.equal(robotOnly.frames.length, 0)
  t.match(
    await corpToken(ALPHA, TICKET),
    { status: 400, body: { code: 'invalidSuiteTicket' } },
    'the old ticket is refused',
  )
  t.equal((await corpToken(ALPHA, 'TICKETrotated42')).status, 200)
  t.equal(emu.isv.pushTicket().ticket, 'TICKETrotated42')
  emu.isv.ticket = undefined
  t.throws(() => emu.isv.pushTicket(), /no suite ticket/)
})

t.test('no ticket pushed on connect when turned off, until pushTicket', async (t) => {
  const { emu } = await isvEmulator(t, { pushTicketOnConnect: false })
  const c = await streamClient(emu)
  await new Promise((r) => setTimeout(r, 100))
  t.equal(c.events().length, 0, 'no ticket yet')
  emu.isv.pushTicket()
  await waitFor(() => c.events().length === 1, 2000, 'the pushed ticket')
  t.equal((c.events()[0] as Frame).headers.eventType, 'suite_ticket')
})

t.test('authorize and relieve: frames, tokens, data', async (t) => {
  const { emu, token, corpToken, call } = await isvEmulator(t)
  const c = await streamClient(emu)
  const a = await token(ALPHA)
  emu.isv.relieve(ALPHA)
  await waitFor(() => ofType(c.events(), 'org_suite_relieve').length === 1, 2000, 'the relieve frame')
  const relieve = ofType(c.events(), 'org_suite_relieve')[0] as Frame
  t.equal(relieve.headers.eventCorpId, ALPHA)
  t.match(data(relieve), {
    syncAction: 'org_suite_relieve',
    authCorpId: ALPHA,
    corpId: ALPHA,
    suiteKey: CLIENT_ID,
  })
  t.match(await call('GET', `/v1.0/conference/roomCodes/211300401/infos`, a), {
    status: 400,
    body: { code: 'InvalidAuthentication' },
  })
  t.match(await corpToken(ALPHA), { status: 400, body: { code: 'invalidAuthInfo' } })
  t.throws(() => emu.isv.relieve(ALPHA), /has not authorized/)

  // Authorized again (known org by id), and a new org with its own data.
  emu.isv.authorize(ALPHA)
  const gamma = { corpId: 'dingcorpGamma', name: 'Gamma GmbH', admins: ['gamma0001'], meetings: [] }
  emu.isv.authorize(gamma)
  await waitFor(() => ofType(c.events(), 'org_suite_auth').length === 2, 2000, 'the auth frames')
  const [again, fresh] = ofType(c.events(), 'org_suite_auth') as [Frame, Frame]
  t.equal(again.headers.eventCorpId, ALPHA)
  t.equal(fresh.headers.eventCorpId, 'dingcorpGamma')
  t.same(data(fresh), {
    syncAction: 'org_suite_auth',
    authCorpId: 'dingcorpGamma',
    corpId: 'dingcorpGamma',
    corpName: 'Gamma GmbH',
    suiteKey: CLIENT_ID,
  })
  const g = await token('dingcorpGamma')
  t.match((await call('GET', `/v1.0/conference/roomCodes/211300401/infos`, g)).body, { totalCount: 0 })
  t.equal((await call('GET', `/v1.0/conference/roomCodes/211300401/infos`, await token(ALPHA))).status, 200)
  t.throws(
    () => emu.isv.authorize('dingcorpUnknown'),
    /no org dingcorpUnknown; the emulator's orgs: dingcorpAlpha/,
  )
  t.throws(() => emu.isv.authorize({ corpId: 'bad corp!', name: 'x', meetings: [] }), /bad corpId/)
})

t.test('per-org timeline over the control API; meeting events carry the org', async (t) => {
  const { emu, control } = await isvEmulator(t)
  const c = await streamClient(emu)
  const ambiguous = await control('POST', '/meetings/500600700/end')
  t.equal(ambiguous.status, 400)
  t.match(
    ambiguous.body.message,
    /500600700 is in 2 orgs: dingcorpAlpha \(Alpha Co\.\), dingcorpBeta \(Beta Ltd\.\)/,
  )
  t.equal(emu.isv.orgs.get(BETA)?.meetings[2]?.status, 2, 'nothing changed')

  const ended = await control('POST', `/meetings/500600700/end?corpId=${BETA}`)
  t.match(ended, { status: 200, body: { meeting: { title: 'Beta customer call', status: 1 } } })
  t.equal(emu.isv.orgs.get(ALPHA)?.meetings[2]?.status, 2, "Alpha's meeting with that code still runs")
  const joined = await control('POST', '/meetings/500600700/join', { nick: 'Bob', corpId: ALPHA })
  t.match(joined.body, { meeting: { title: 'Alpha weekly sync', activeNum: 4 } })
  // A code only one org has needs no corpId; the event is that org's.
  t.match((await control('POST', '/meetings/322400502/start')).body, {
    meeting: { title: 'Beta design crit' },
  })
  await waitFor(() => c.events().length >= 4, 2000, 'the meeting events')
  t.same(
    c.events().map((f) => [f.headers.eventType, f.headers.eventCorpId]),
    [
      ['meeting_member_status_change', BETA],
      ['meeting_status_change', BETA],
      ['meeting_member_status_change', ALPHA],
      ['meeting_status_change', BETA],
    ],
  )
  t.match(await control('POST', '/meetings/322400502/end?corpId=dingcorpNope'), {
    status: 404,
    body: { message: /no org dingcorpNope; the emulator's orgs: dingcorpAlpha \(Alpha Co\.\), dingcorpBeta/ },
  })
  t.match(await control('POST', '/meetings/999999999/start'), { status: 404 })
  t.match(await control('POST', '/meetings/322400502/join', { nick: 'x', corpId: 5 }), { status: 400 })
  // The in-process API: emu.timeline routes (and refuses the ambiguous code), isv.timeline(corp) picks.
  t.throws(() => emu.timeline.leave('500600700', 'Bob'), /in 2 orgs/)
  t.equal(emu.isv.timeline(ALPHA).leave('500600700', 'Bob').meeting.activeNum, 3)
  t.equal(emu.timeline.join('211300401', 'Dan').meeting.activeNum, 5)
  t.equal(emu.timeline.leave('211300401', 'Dan').meeting.activeNum, 4)
  t.equal(emu.timeline.end('211300401').title, 'Alpha all-hands')
  t.throws(() => emu.timeline.start('123123123'), /no meeting 123123123/)

  const info = await control('GET', '/info')
  t.match(info.body, {
    robotCode: CLIENT_ID,
    orgs: [
      { corpId: ALPHA, name: 'Alpha Co.', robotCode: CLIENT_ID, admins: ['alpha0001'], authorized: true },
      { corpId: BETA, name: 'Beta Ltd.', robotCode: CLIENT_ID, admins: ['beta0001'], authorized: true },
    ],
  })
  t.equal((info.body.meetings as unknown[]).length, 6)
  const beta = (await control('GET', `/info?corpId=${BETA}`)).body.meetings as Array<{ corpId: string }>
  t.same([...new Set(beta.map((m) => m.corpId))], [BETA])
  t.equal(beta.length, 3)
})

t.test('stream push as an org re-addresses the message', async (t) => {
  const { emu, control } = await isvEmulator(t)
  const c = await streamClient(emu)
  const payload = {
    msgId: 'm1',
    senderStaffId: 'beta0001',
    chatbotCorpId: 'dingcorpEmulator',
    robotCode: 'x',
  }
  t.equal((await control('POST', '/stream/push', { payload, corpId: BETA })).status, 200)
  await waitFor(() => c.frames.length === 1, 2000, 'the frame')
  t.match(JSON.parse((c.frames[0] as Frame).data), {
    msgId: 'm1',
    chatbotCorpId: BETA,
    senderCorpId: BETA,
    isAdmin: true,
    robotCode: CLIENT_ID,
    senderUnionId: /^union[0-9a-f]{12}$/,
  })
  t.match(await control('POST', '/stream/push', { payload, corpId: 'dingcorpNope' }), {
    status: 404,
    body: { message: /no org dingcorpNope/ },
  })
  t.equal((await control('POST', '/stream/push', { payload, corpId: 1 })).status, 400)
})

t.test('internal mode: corpId is refused, the routes work as before', async (t) => {
  const { emu, control } = await isvEmulator(
    t,
    { orgs: undefined },
    { meetings: sampleIsvOrgs(Date.now())[1]?.meetings ?? [] },
  )
  t.equal(emu.isv.enabled, false)
  t.match(await control('POST', `/meetings/322400502/start?corpId=${BETA}`), {
    status: 400,
    body: { message: /no orgs \(not in ISV mode\)/ },
  })
  t.equal((await control('POST', '/meetings/322400502/start')).status, 200)
  const info = await control('GET', '/info')
  t.equal(info.body.orgs, undefined)
})

t.test('the ticket by the encrypted HTTP push (SyncHTTP)', async (t) => {
  const { emu } = await isvEmulator(t)
  const creds = {
    token: 'evtTokenQ1',
    aesKey: randomBytes(32).toString('base64').slice(0, 43),
    ownerKey: CLIENT_ID,
  }
  const got: string[] = []
  // A receiver written with the bot's own crypto (src/dingtalk/event-crypto.ts), not the emulator's.
  const app = Fastify()
  app.post<{ Querystring: Record<string, string>; Body: { encrypt: string } }>(
    '/events',
    async (req, reply) => {
      const { msg_signature, timestamp, nonce } = req.query
      if (!signatureMatches(msg_signature ?? '', creds.token, timestamp ?? '', nonce ?? '', req.body.encrypt))
        return reply.code(401).send({})
      const plain = decryptEvent(req.body.encrypt, creds)
      if (!plain.ok) return reply.code(400).send({})
      got.push(plain.message)
      return successReply(creds, String(Date.now()), 'n0nce')
    },
  )
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const r = await emu.isv.pushTicketHttp(`${url}/events`, creds)
  t.match(r, { status: 200, success: true })
  const body = JSON.parse(got[0] as string) as { EventType: string; bizData: Array<Record<string, unknown>> }
  t.equal(body.EventType, 'SYNC_HTTP_PUSH_HIGH')
  t.match(body.bizData[0], { biz_type: 2, corp_id: 'dingsuiteEmulator' })
  t.match(JSON.parse(body.bizData[0]?.biz_data as string), {
    syncAction: 'suite_ticket',
    suiteTicket: TICKET,
  })
  emu.isv.ticket = undefined
  t.throws(() => emu.isv.pushTicketHttp(`${url}/events`, creds), /no suite ticket/)
})
