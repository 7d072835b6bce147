import t from 'tap'
import { lazyChild } from '../src/logger.js'
import { captureLogger, robotMessage, SECRET, signedHeaders, startStack, waitFor } from './helpers/index.js'

t.test('secret-bearing fields are redacted wherever they appear', async (t) => {
  const { log, capture } = captureLogger()
  log.info(
    {
      clientSecret: 'S1',
      accessToken: 'T1',
      sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=W1',
      sign: 'G1',
      ticket: 'K1',
      payload: { sessionWebhook: 'W2', clientSecret: 'S2', appSecret: 'S3' },
      req: { headers: { sign: 'G2', 'x-acs-dingtalk-access-token': 'T2' } },
      headers: { sign: 'G3', 'x-acs-dingtalk-access-token': 'T3' },
    },
    'test',
  )
  for (const secret of ['S1', 'S2', 'S3', 'T1', 'T2', 'T3', 'W1', 'W2', 'G1', 'G2', 'G3', 'K1']) {
    t.notMatch(capture.raw, `"${secret}"`, secret)
  }
  t.match(capture.raw, '[redacted]')
})

t.test('a whole conversation at debug level leaks no secret', async (t) => {
  const s = await startStack(t, { env: { LOG_LEVEL: 'debug' }, tuning: { inlineDeadlineMs: 50 } })
  const headers = signedHeaders()
  const session = s.emu.newSessionWebhook()
  // Slow upstream → webhook; an expired session → OpenAPI with the access token; a token rotation.
  s.emu.fail('conference.byRoomCode', { delayMs: 120 })
  await s.post(robotMessage({ text: 'meeting 615902734', sessionWebhook: session }), headers)
  await s.emu.waitForReplies(1)
  s.emu.revokeTokens()
  s.emu.fail('conference.info', { delayMs: 120 })
  await s.post(
    robotMessage({
      text: 'meeting 5f1c2a9e07b3d4c6e8a1f2b3',
      sessionWebhook: s.emu.newSessionWebhook(),
      sessionWebhookExpiredTime: 1,
    }),
    headers,
  )
  const replies = await s.emu.waitForReplies(2)
  t.equal(replies[1]?.via, 'openapi')
  await s.post(robotMessage({ text: 'meeting 615902734' }), signedHeaders('forged'))
  await waitFor(() => s.capture.find('message handled').length === 2)
  const token = await (s.app.tokens as NonNullable<typeof s.app.tokens>).get()
  const raw = s.capture.raw
  t.ok(s.capture.lines.length > 5, 'there is something to check')
  t.notMatch(raw, SECRET, 'client secret')
  t.notMatch(raw, token, 'access token')
  t.notMatch(raw, new URL(session).searchParams.get('session') as string, 'session webhook')
  t.notMatch(raw, headers.sign as string, 'sign header')
  t.notMatch(raw, signedHeaders('forged').sign as string, 'forged sign header')
})

t.test('lazyChild: a real child only when a line is written, with the bindings and redaction', async (t) => {
  const { log, capture } = captureLogger('info')
  let children = 0
  const parent = new Proxy(log, {
    get(target, prop, receiver) {
      if (prop === 'child') {
        return (...args: Parameters<typeof log.child>) => {
          children++
          return target.child(...args)
        }
      }
      const v = Reflect.get(target, prop, receiver)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  const quiet = lazyChild(parent, { msgId: 'm1' })
  quiet.debug('not at info')
  t.equal(children, 0, 'nothing written: no child built')
  t.equal(quiet.level, 'info')
  t.equal(quiet.isLevelEnabled('debug'), false)
  const loud = lazyChild(parent, { msgId: 'm2', sessionWebhook: 'https://x/?session=SECRET1' })
  loud.info({ a: 1 }, 'one')
  loud.warn('two')
  t.equal(children, 1, 'one child for all of its lines')
  const lines = capture.raw
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  t.match(lines, [
    { msgId: 'm2', a: 1, msg: 'one' },
    { msgId: 'm2', msg: 'two' },
  ])
  t.notMatch(capture.raw, 'SECRET1', 'bindings are redacted like any field')
  const nested = loud.child({ command: 'meeting' })
  t.same(nested.bindings(), {
    service: 'meeting-bot',
    msgId: 'm2',
    sessionWebhook: 'https://x/?session=SECRET1',
    command: 'meeting',
  })
  nested.error('three')
  t.match(JSON.parse(capture.raw.trim().split('\n').at(-1) as string), {
    msgId: 'm2',
    command: 'meeting',
    msg: 'three',
  })
  for (const level of ['trace', 'fatal', 'silent'] as const) loud[level]('x')
  t.match(
    JSON.parse(capture.raw.trim().split('\n').at(-1) as string),
    { level: 60, msg: 'x' },
    'fatal written, trace and silent not',
  )
})
