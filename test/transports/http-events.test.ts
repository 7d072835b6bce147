import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createApp } from '../../src/app/index.js'
import { type ConfigError, describeConfig, loadConfig } from '../../src/config.js'
import type { EventContext } from '../../src/core/event.js'
import type { Feature } from '../../src/core/feature.js'
import { decryptEvent, signatureMatches } from '../../src/dingtalk/event-crypto.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import {
  eventBody,
  type PushCredentials,
  pushEncrypt,
  pushSignature,
  suiteTicketEntry,
  syncPushBody,
} from '../../src/emulator/event-push.js'
import { meetingStatusEvent, newEventId } from '../../src/emulator/events.js'
import type { EmulatorMeeting } from '../../src/emulator/meetings.js'
import { MemoryStore } from '../../src/store/memory.js'
import { EVENT_ANSWER_MS, EVENTS_PATH } from '../../src/transports/http-events.js'
import {
  CLIENT_ID,
  captureLogger,
  FAST,
  fixtureMeetings,
  SECRET,
  startStack,
  testConfig,
  waitFor,
} from '../helpers/index.js'

const TOKEN = 'evtTok3n5Q9xLm2'
const AES_KEY = 'k7Qm2xP9vR4tY8wZ1cF6hJ3nB5gD0sA2eL7uI9oK4pM'
const ENV = { DINGTALK_EVENT_TOKEN: TOKEN, DINGTALK_EVENT_AES_KEY: AES_KEY }
/** The owner key of the test app: its client id (the app key; an ISV's suite key). */
const CREDS: PushCredentials = { token: TOKEN, aesKey: AES_KEY, ownerKey: CLIENT_ID }
const TICKET = 'TICKETa1b2c3d4e5'
const ISV_CORP = 'dingisv7a6b5c4d'

/** Nothing of a push's secrets or content may reach a log line. */
function noSecrets(t: Test, raw: string, also: readonly string[] = []): void {
  for (const s of [TOKEN, AES_KEY, TICKET, ...also])
    t.notOk(raw.includes(s), 'a secret or content in the log')
}

/** The emulator and the whole app (HTTP) with a test feature handling ticket, auth and a test type. */
async function pushStack(t: Test) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
  })
  const { log, capture } = captureLogger()
  const calls: EventContext[] = []
  const state = { behaviour: async (_ctx: EventContext): Promise<void> => {} }
  const record = async (ctx: EventContext) => {
    calls.push(ctx)
    await state.behaviour(ctx)
  }
  const feature: Feature = {
    name: 'test-http-events',
    events: { suite_ticket: record, org_suite_auth: record, meetingbot_test_event: record },
  }
  const app = await createApp({
    config: testConfig(emu, ENV),
    log,
    tuning: FAST,
    store: new MemoryStore(),
    extraFeatures: [feature],
  })
  const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.stop()
    await emu.close()
  })
  const handled = (eventId: string) => capture.find('event handled').filter((l) => l.eventId === eventId)
  return { emu, app, capture, calls, state, handled, events: `${url}${EVENTS_PATH}` }
}

t.test('check_url: answered with "success", encrypted for our key and signed with the token', async (t) => {
  const s = await startStack(t, { env: ENV })
  const r = await s.emu.eventPush.checkUrl(`${s.url}${EVENTS_PATH}`, CREDS)
  t.equal(r.status, 200)
  t.ok(r.success, r.problem ?? 'success')
  // Checked here too, without the emulator's code: the four fields, the signature, the plaintext.
  const body = r.body as Record<string, string>
  t.same(Object.keys(body).sort(), ['encrypt', 'msg_signature', 'nonce', 'timeStamp'])
  t.ok(
    signatureMatches(
      body.msg_signature as string,
      TOKEN,
      body.timeStamp as string,
      body.nonce as string,
      body.encrypt as string,
    ),
  )
  t.same(decryptEvent(body.encrypt as string, CREDS), { ok: true, message: 'success' })
  const legacy = await s.emu.eventPush.checkUrl(`${s.url}${EVENTS_PATH}`, CREDS, {
    signatureParam: 'signature',
  })
  t.ok(legacy.success, 'the `signature` query parameter works too')
  t.equal(s.capture.find('event push: check_url answered').length, 2)
  t.equal(s.app.stats.tally.events.received, 0, 'a URL check is no event')
  noSecrets(t, s.capture.raw, [body.msg_signature as string])
})

t.test(
  'a forged, missing or mismatched signature: 401, nothing decrypted, nothing reaches the core',
  async (t) => {
    const s = await startStack(t, { env: ENV })
    const url = `${s.url}${EVENTS_PATH}`
    const body = eventBody(
      meetingStatusEvent(fixtureMeetings()[1] as EmulatorMeeting, 'conference_end', Date.now()),
      'dingcorp1',
    )
    const forged = await s.emu.eventPush.send(url, body, CREDS, { signature: 'a'.repeat(40) })
    t.equal(forged.status, 401)
    t.notOk(forged.success)
    const otherToken = await s.emu.eventPush.send(url, body, { ...CREDS, token: 'someoneElse' })
    t.equal(otherToken.status, 401, 'signed with another token')
    // Signed for one ciphertext, sent with another: the signature covers `encrypt`.
    const other = pushEncrypt(JSON.stringify({ ...body, EventId: 'evtSwapped' }), CREDS)
    const swapped = await s.emu.eventPush.send(url, body, CREDS, {
      encrypt: other,
      signature: pushSignature(TOKEN, '1', 'n', pushEncrypt('x', CREDS)),
      timestamp: '1',
      nonce: 'n',
    })
    t.equal(swapped.status, 401)
    const bare = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt: pushEncrypt('{}', CREDS) }),
    })
    t.equal(bare.status, 401, 'no signature in the query')
    const notJson = await fetch(`${url}?msg_signature=${'b'.repeat(40)}&timestamp=1&nonce=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    })
    t.equal(notJson.status, 400)
    t.equal(s.app.stats.tally.events.received, 0, 'nothing reached the port')
    t.equal(s.capture.find('event handled').length, 0)
    t.equal(s.capture.find('event push rejected: bad signature').length, 3)
    t.notOk(s.capture.raw.includes('b'.repeat(40)), 'the URL (and its signature) is not logged')
    noSecrets(t, s.capture.raw)
  },
)

t.test('signed right but encrypted for another app, or junk: 400 refused, nothing runs', async (t) => {
  const s = await startStack(t, { env: ENV })
  const url = `${s.url}${EVENTS_PATH}`
  const body = { EventType: 'meeting_status_change', EventId: 'evtOtherApp1' }
  const otherOwner = await s.emu.eventPush.send(url, body, { ...CREDS, ownerKey: 'suiteSomeoneElse' })
  t.equal(otherOwner.status, 400)
  t.match(otherOwner.body, { error: 'refused', message: 'does not decrypt to our key' })
  const otherKey = await s.emu.eventPush.send(url, body, {
    ...CREDS,
    aesKey: 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6L',
  })
  t.equal(otherKey.status, 400, 'another AES key')
  const junk = await s.emu.eventPush.send(url, body, CREDS, {
    encrypt: Buffer.alloc(64, 7).toString('base64'),
  })
  t.equal(junk.status, 400)
  t.equal(s.app.stats.tally.events.received, 0)
  t.match(s.capture.find('event push refused: does not decrypt to our key'), [
    { reason: 'wrong_owner' },
    { reason: String },
    { reason: String },
  ])
})

t.test(
  'a meeting_status_change push reaches the events path: handled, counted, answered success',
  async (t) => {
    const s = await startStack(t, { env: ENV })
    const meeting = fixtureMeetings()[1] as EmulatorMeeting
    const spec = meetingStatusEvent(meeting, 'conference_end', Date.now() - 20)
    const r = await s.emu.eventPush.send(`${s.url}${EVENTS_PATH}`, eventBody(spec, 'dingcorp5e8a1f2b'), CREDS)
    t.equal(r.status, 200)
    t.ok(r.success, r.problem ?? 'success')
    t.match(s.capture.find('event handled'), [
      { eventId: spec.eventId, eventType: 'meeting_status_change', transport: 'http', outcome: 'handled' },
    ])
    t.ok((s.capture.find('event handled')[0]?.handlers as number) >= 1, 'the watch feature’s handler ran')
    t.match(s.capture.find('event push answered'), [
      { events: 1, status: 200, outcomes: { handled: 1, pending: 0 } },
    ])
    const metrics = await (await fetch(`${s.url}/metrics`)).text()
    t.match(metrics, 'meetingbot_events_total{type="meeting_status_change",outcome="handled"} 1')
    const again = await s.emu.eventPush.send(
      `${s.url}${EVENTS_PATH}`,
      eventBody(spec, 'dingcorp5e8a1f2b'),
      CREDS,
    )
    t.ok(again.success, 'pushed again (a new ciphertext of the same event): success')
    t.match(s.capture.find('event handled')[1], { eventId: spec.eventId, outcome: 'duplicate' })
    t.match(s.app.stats.tally.events, { received: 2, handled: 1, duplicates: 1 })
  },
)

t.test(
  'SYNC_HTTP_PUSH_HIGH: each entry one event; suite_ticket carries {suiteTicket}; a re-push runs once',
  async (t) => {
    const s = await pushStack(t)
    const auth = {
      biz_type: 4,
      corp_id: 'dingcorpB2',
      biz_data: JSON.stringify({ syncAction: 'org_suite_auth', auth_corp_info: { corpid: 'dingcorpB2' } }),
    }
    const push = syncPushBody([
      suiteTicketEntry(TICKET, ISV_CORP, CLIENT_ID),
      auth,
      { biz_type: 2, corp_id: 'x', biz_data: '{' },
    ])
    const r = await s.emu.eventPush.send(s.events, push, CREDS)
    t.equal(r.status, 200)
    t.ok(r.success, r.problem ?? 'success')
    t.equal(s.calls.length, 2, 'the unusable entry is skipped')
    const [ticket, org] = s.calls.map((c) => c.event)
    t.match(ticket, {
      type: 'suite_ticket',
      corpId: ISV_CORP,
      transport: 'http',
      data: { suiteTicket: TICKET },
    })
    t.same(Object.keys(ticket?.data as object), ['suiteTicket'])
    t.match(org, { type: 'org_suite_auth', corpId: 'dingcorpB2', data: { syncAction: 'org_suite_auth' } })
    t.match(ticket?.id, /^push:[\w-]{22}$/)
    t.not(ticket?.id, org?.id)
    t.match(s.capture.find('event push: entries skipped'), [{ skipped: ['biz_data is not JSON'] }])
    // The same push again, newly encrypted as DingTalk would: the same ids, handled once.
    const again = await s.emu.eventPush.send(s.events, push, CREDS)
    t.ok(again.success)
    t.equal(s.calls.length, 2, 'handled once')
    t.match(s.handled(ticket?.id as string), [{ outcome: 'handled' }, { outcome: 'duplicate' }])
    t.match(s.handled(org?.id as string), [{ outcome: 'handled' }, { outcome: 'duplicate' }])
    noSecrets(t, s.capture.raw)
  },
)

t.test('a new-style body without an id is keyed by its text; EventId when given', async (t) => {
  const s = await pushStack(t)
  const body = { EventType: 'meetingbot_test_event', CorpId: 'dingcorpA1', TimeStamp: '1764730000000', n: 1 }
  t.ok((await s.emu.eventPush.send(s.events, body, CREDS)).success)
  t.ok((await s.emu.eventPush.send(s.events, body, CREDS)).success)
  t.ok((await s.emu.eventPush.send(s.events, { ...body, n: 2 }, CREDS)).success)
  t.equal(s.calls.length, 2, 'the same text once; other text is another event')
  t.match(s.calls[0]?.event, { corpId: 'dingcorpA1', bornAt: 1764730000000, data: { n: 1 } })
  const id = newEventId()
  t.ok((await s.emu.eventPush.send(s.events, { ...body, EventId: id, n: 3 }, CREDS)).success)
  t.ok((await s.emu.eventPush.send(s.events, { ...body, EventId: id, n: 4 }, CREDS)).success)
  t.equal(s.calls.length, 3, 'one EventId, one event')
  t.equal(s.calls[2]?.event.id, id)
  t.ok((await s.emu.eventPush.send(s.events, 'not json at all', CREDS)).success, 'unusable content: success')
  t.equal(s.calls.length, 3)
})

t.test(
  'a failed event answers 500 (pushed again); the re-push is handled and answered success',
  async (t) => {
    const s = await pushStack(t)
    let fail = true
    s.state.behaviour = async () => {
      if (fail) throw new Error('handler down')
    }
    const body = { EventType: 'meetingbot_test_event', EventId: newEventId() }
    const r = await s.emu.eventPush.send(s.events, body, CREDS)
    t.equal(r.status, 500)
    t.notOk(r.success)
    t.match(s.capture.find('event push answered'), [{ status: 500, outcomes: { failed: 1 } }])
    fail = false
    const again = await s.emu.eventPush.send(s.events, body, CREDS)
    t.ok(again.success, again.problem ?? 'success')
    t.match(s.handled(body.EventId), [{ outcome: 'failed' }, { outcome: 'handled' }])
  },
)

t.test('a slow event: answered success within the bound, finished by the core after', async (t) => {
  const s = await pushStack(t)
  s.state.behaviour = () => sleep(EVENT_ANSWER_MS + 1000)
  const body = { EventType: 'meetingbot_test_event', EventId: newEventId() }
  const r = await s.emu.eventPush.send(s.events, body, CREDS)
  t.ok(r.success)
  t.ok(r.ms >= EVENT_ANSWER_MS - 50 && r.ms < EVENT_ANSWER_MS + 800, `answered in ${r.ms} ms`)
  t.match(s.capture.find('event push answered before its events were through'), [
    { outcomes: { pending: 1 } },
  ])
  t.equal(s.handled(body.EventId).length, 0, 'still running')
  await waitFor(() => s.handled(body.EventId).length === 1, 3000, 'the event handled')
  t.match(s.handled(body.EventId), [{ outcome: 'handled' }])
})

t.test(
  'the route: only with both settings and the HTTP transport; the settings checked and masked',
  async (t) => {
    const plain = await startStack(t)
    t.equal(
      (await plain.emu.eventPush.checkUrl(`${plain.url}${EVENTS_PATH}`, CREDS)).status,
      404,
      'not configured',
    )
    const streamOnly = await startStack(t, { env: { ...ENV, DINGTALK_TRANSPORTS: 'stream' } })
    t.equal(
      (await fetch(`${streamOnly.url}${EVENTS_PATH}`, { method: 'POST' })).status,
      404,
      'no HTTP transport',
    )
    const base = { DINGTALK_CLIENT_ID: CLIENT_ID, DINGTALK_CLIENT_SECRET: SECRET }
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env })
      } catch (err) {
        return (err as ConfigError).problems.join('\n')
      }
      return ''
    }
    t.match(
      problems({ DINGTALK_EVENT_TOKEN: TOKEN }),
      /DINGTALK_EVENT_AES_KEY is required when DINGTALK_EVENT_TOKEN/,
    )
    t.match(
      problems({ DINGTALK_EVENT_AES_KEY: AES_KEY }),
      /DINGTALK_EVENT_TOKEN is required when DINGTALK_EVENT_AES_KEY/,
    )
    const short = problems({ ...ENV, DINGTALK_EVENT_AES_KEY: AES_KEY.slice(3) })
    t.match(short, /DINGTALK_EVENT_AES_KEY must be 43 characters \(got 40\)/)
    t.notOk(short.includes(AES_KEY.slice(3)), 'the key is not quoted')
    t.match(problems({ ...ENV, DINGTALK_EVENT_AES_KEY: `${AES_KEY.slice(1)}-` }), /43 base64 characters/)
    const described = describeConfig(loadConfig({ ...base, ...ENV }))
    t.match(described, {
      DINGTALK_EVENT_TOKEN: /set, 15 characters/,
      DINGTALK_EVENT_AES_KEY: /set, 43 characters/,
    })
    t.notOk(JSON.stringify(described).includes(TOKEN) || JSON.stringify(described).includes(AES_KEY))
    t.equal(loadConfig(base).events, undefined)
  },
)
