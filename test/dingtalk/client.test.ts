import t, { type Test } from 'tap'
import { DingTalkApi, QUOTA_COOLDOWN_MS } from '../../src/dingtalk/api.js'
import { ConferenceClient, MAX_ROOM_CODE_PAGES } from '../../src/dingtalk/conference.js'
import { DingTalkApiError, UpstreamUnavailableError } from '../../src/dingtalk/errors.js'
import { backoffDelay, DingTalkHttp, withRetry } from '../../src/dingtalk/http.js'
import { TokenProvider } from '../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import type { EmulatorMeeting } from '../../src/emulator/meetings.js'
import { CLIENT_ID, captureLogger, failure, fixtureMeetings, SECRET } from '../helpers/index.js'

const RETRY = { maxAttempts: 3, throttleBudgetMs: 400, baseDelayMs: 5 }

async function setup(
  t: Test,
  opts: {
    meetings?: EmulatorMeeting[]
    secret?: string
    timeoutMs?: number
    clock?: () => number
    tokenTtlSeconds?: number
  } = {},
) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: opts.meetings ?? fixtureMeetings(),
    ...(opts.tokenTtlSeconds ? { tokenTtlSeconds: opts.tokenTtlSeconds } : {}),
  })
  t.teardown(() => emu.close())
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: opts.timeoutMs ?? 1000 })
  const tokens = new TokenProvider({
    http,
    clientId: CLIENT_ID,
    clientSecret: opts.secret ?? SECRET,
    ...(opts.clock ? { clock: opts.clock } : {}),
  })
  const { log, capture } = captureLogger()
  const api = new DingTalkApi(http, tokens, RETRY, log)
  return { emu, http, tokens, api, conf: new ConferenceClient(api), capture }
}

t.test('token: cached, one fetch for concurrent callers', async (t) => {
  const { emu, tokens } = await setup(t)
  const all = await Promise.all(Array.from({ length: 50 }, () => tokens.get()))
  t.equal(new Set(all).size, 1)
  t.equal(emu.count('token'), 1)
  await tokens.get()
  t.equal(emu.count('token'), 1, 'cached')
  t.equal(tokens.status().valid, true)
})

t.test('token: refreshed shortly before it expires', async (t) => {
  let now = 1_000_000
  const { emu, tokens } = await setup(t, { clock: () => now, tokenTtlSeconds: 7200 })
  const first = await tokens.get()
  now += 7200_000 - 6 * 60_000
  t.equal(await tokens.get(), first, 'still fresh 6 minutes before expiry')
  now += 2 * 60_000
  t.not(await tokens.get(), first, 'refreshed within the last 5 minutes')
  t.equal(emu.count('token'), 2)
})

t.test('token: a short-lived token is not refetched on every call', async (t) => {
  let now = 0
  const { emu, tokens } = await setup(t, { clock: () => now, tokenTtlSeconds: 60 })
  await tokens.get()
  now += 20_000
  await tokens.get()
  t.equal(emu.count('token'), 1, 'margin is at most half the lifetime')
})

t.test('token: a failed refresh is not cached', async (t) => {
  const { emu, tokens } = await setup(t)
  emu.fail('token', { status: 500, code: 'systemError' })
  await t.rejects(tokens.get(), DingTalkApiError)
  t.type(await tokens.get(), 'string', 'the next caller fetches again')
  t.equal(emu.count('token'), 2)
})

t.test('token: bad credentials are a clear error', async (t) => {
  const { api } = await setup(t, { secret: 'wrong' })
  const err = await failure(
    api.call({ api: 'conference.info', method: 'GET', path: '/v1.0/conference/videoConferences/x' }),
  )
  t.type(err, DingTalkApiError)
  t.equal(err.kind, 'badCredentials')
  t.notMatch(err.message, 'wrong', 'the secret is not in the message')
})

t.test('InvalidAuthentication drops the token and retries once', async (t) => {
  const { emu, conf, capture } = await setup(t)
  await conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')
  emu.revokeTokens()
  const info = await conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')
  t.equal(info.title, 'Sprint 42 retrospective')
  t.equal(emu.count('token'), 2)
  t.equal(emu.count('conference.info'), 3)
  t.equal(capture.find('access token rejected; fetching a new one').length, 1)
  emu.fail('conference.info', { status: 400, code: 'InvalidAuthentication', times: 2 })
  const err = await failure(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3'))
  t.equal(err.kind, 'invalidToken', 'only once: a second rejection is final')
})

t.test('5xx and timeouts: bounded retries', async (t) => {
  const { emu, conf } = await setup(t, { timeoutMs: 150 })
  emu.fail('conference.info', { status: 500, code: 'systemError', times: 2 })
  t.equal((await conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')).status, 1, 'third attempt succeeds')
  t.equal(emu.count('conference.info'), 3)
  emu.resetCounters()
  emu.fail('conference.info', { status: 503, times: 5 })
  t.match(await failure(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')), { kind: 'server' })
  t.equal(emu.count('conference.info'), 3, 'gives up after three attempts')
  emu.resetCounters()
  emu.fail('conference.info', { delayMs: 400, times: 3 })
  const err = await failure(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3'))
  t.type(err, UpstreamUnavailableError)
  t.equal(err.reason, 'timeout')
  t.equal(emu.count('conference.info'), 3)
})

t.test('non-JSON answers and dropped sockets are "unavailable"', async (t) => {
  const { emu, conf } = await setup(t)
  emu.fail('conference.info', { html: true, status: 403, times: 3 })
  await t.rejects(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3'), {
    name: 'UpstreamUnavailableError',
    reason: 'bad-response',
  })
  emu.fail('conference.info', { reset: true, times: 3 })
  await t.rejects(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3'), {
    name: 'UpstreamUnavailableError',
    reason: 'network',
  })
})

t.test('QPS limits: backoff within the budget, then busy', async (t) => {
  const { emu, conf } = await setup(t)
  emu.fail('conference.info', {
    status: 403,
    code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
    times: 2,
  })
  t.equal((await conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')).status, 1)
  emu.fail('conference.info', { status: 429, code: 'system.busy', times: 1000 })
  const started = Date.now()
  const err = await failure(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3'))
  t.equal(err.kind, 'throttled')
  t.ok(Date.now() - started < 1000, 'gave up within the throttle budget')
  t.ok(emu.count('conference.info') > 4, 'kept trying meanwhile')
})

t.test('final errors are not retried', async (t) => {
  const { emu, conf } = await setup(t)
  for (const [code, status, kind] of [
    ['noPermission', 403, 'forbidden'],
    ['roomNotFound', 404, 'notFound'],
    ['invalidRoomCode', 400, 'badRequest'],
    // Last: after it the client stops calling for a while (see the cooldown test).
    ['Forbidden.AccessDenied.ApiCountLimitForOrg', 403, 'quotaExhausted'],
  ] as const) {
    emu.resetCounters()
    emu.fail('conference.info', { status, code })
    const err = await failure(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3'))
    t.equal(err.kind, kind, code)
    t.equal(err.code, code)
    t.match(err.requestId, /^[0-9A-F]+$/, 'request id kept for the logs')
    t.equal(emu.count('conference.info'), 1, `${code}: one call`)
  }
})

t.test('room codes: pages followed up to a bound', async (t) => {
  const many: EmulatorMeeting[] = Array.from({ length: 45 }, (_, i) => ({
    conferenceId: `aaaaaaaaaaaaaaaaaaaa${String(i).padStart(4, '0')}`,
    roomCode: '111222333',
    title: `m${i}`,
    status: 1,
    startTime: i,
    endTime: i + 1,
    creatorNick: 'x',
  }))
  const { emu, conf } = await setup(t, { meetings: many })
  const r = await conf.listByRoomCode('111222333')
  t.equal(r.conferences.length, 45)
  t.equal(r.truncated, false)
  t.equal(emu.count('conference.byRoomCode'), 3, 'three pages of 20')
  emu.meetings = Array.from({ length: 20 * MAX_ROOM_CODE_PAGES + 5 }, (_, i) => ({
    ...(many[0] as EmulatorMeeting),
    conferenceId: `b${String(i).padStart(23, '0')}`,
  }))
  emu.resetCounters()
  const capped = await conf.listByRoomCode('111222333')
  t.equal(capped.truncated, true)
  t.equal(capped.conferences.length, 20 * MAX_ROOM_CODE_PAGES)
  t.equal(emu.count('conference.byRoomCode'), MAX_ROOM_CODE_PAGES)
})

t.test('backoff grows and is jittered', async (t) => {
  t.equal(
    backoffDelay(0, 100, 10_000, () => 0),
    50,
  )
  t.equal(
    backoffDelay(0, 100, 10_000, () => 1),
    100,
  )
  t.equal(
    backoffDelay(3, 100, 10_000, () => 1),
    800,
  )
  t.equal(
    backoffDelay(20, 100, 2000, () => 1),
    2000,
    'capped',
  )
  let calls = 0
  const slept: number[] = []
  await t.rejects(
    withRetry(
      async () => {
        calls++
        throw new Error('not transient')
      },
      { ...RETRY, sleep: async (ms) => slept.push(ms) },
    ),
    /not transient/,
  )
  t.equal(calls, 1)
  t.same(slept, [])
})

t.test('quota exhausted: no calls during the cooldown, calls again after it', async (t) => {
  let now = 0
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
  })
  t.teardown(() => emu.close())
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 })
  const api = new DingTalkApi(
    http,
    new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET }),
    RETRY,
    captureLogger().log,
    () => now,
  )
  const conf = new ConferenceClient(api)
  emu.fail('conference.info', { status: 403, code: 'Forbidden.AccessDenied.ApiCountLimitForOrg' })
  t.match(await failure(conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')), { kind: 'quotaExhausted' })
  now = QUOTA_COOLDOWN_MS - 1
  t.match(
    await failure(conf.listByRoomCode('615902734')),
    { kind: 'quotaExhausted' },
    'every API: the quota is per org',
  )
  t.equal(emu.count('conference.info') + emu.count('conference.byRoomCode'), 1)
  now = QUOTA_COOLDOWN_MS
  t.equal((await conf.getConference('5f1c2a9e07b3d4c6e8a1f2b3')).status, 1, 'asks again after the cooldown')
})
