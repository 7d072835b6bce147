import t, { type Test } from 'tap'
import { robotMessage, SECRET, type Stack, type StreamStack, startStreamStack } from '../helpers/index.js'
import { acceptedPorts, startProxy, type TestProxy } from '../helpers/proxy.js'

/*
 * The bot behind a corporate proxy, with the emulator as DingTalk. The emulator listens on
 * 127.0.0.1 and so does the proxy, so "it answered" proves nothing: the emulator records the
 * remote port of every connection it accepts and the proxy the local port of every connection it
 * opened. A connection the proxy did not open is one that bypassed it.
 */

const ADMIN = { senderStaffId: 'admin0001', senderNick: 'Admin', isAdmin: true }
const USER = 'corp\\meeting-bot'
const PASSWORD = 'p@ss:w0rd/äö'

type AnyReply = { text?: { content: string }; markdown?: { text: string }; actionCard?: { text: string } }
const textOf = (r: AnyReply) => r.text?.content ?? r.markdown?.text ?? r.actionCard?.text ?? ''

async function ask(s: Stack, text: string, who: Record<string, unknown> = {}): Promise<string> {
  const res = await s.post(robotMessage({ text, sessionWebhook: s.emu.newSessionWebhook(), ...who }))
  return textOf((await res.json()) as AnyReply)
}

/** A bot on both transports whose HTTP_PROXY is `proxy`, the emulator's accepted ports recorded. */
async function behind(
  t: Test,
  proxyUrl: string,
  env: Record<string, string> = {},
  waitConnected = true,
): Promise<{ s: StreamStack; accepted: number[] }> {
  let accepted: number[] = []
  const s = await startStreamStack(t, {
    env: { DINGTALK_TRANSPORTS: 'stream,http', HTTP_PROXY: proxyUrl, ...env },
    before: (emu) => {
      accepted = acceptedPorts(emu.app.server)
    },
    waitConnected,
  })
  return { s, accepted }
}

/** Absolute-URI requests the proxy passed on, by method and path. */
function through(proxy: TestProxy, method: string, path: string): number {
  return proxy.calls.filter((c) => c.method === method && !c.refused && new URL(c.target).pathname === path)
    .length
}

t.test('every call of a conversation goes through the proxy, and nothing bypasses it', async (t) => {
  const proxy = await startProxy({ credentials: { user: USER, password: PASSWORD } })
  const { s, accepted } = await behind(t, proxy.url)
  t.teardown(() => proxy.close())

  // Stream: gateway call and socket through the proxy; the answer by session webhook.
  s.gw.push(robotMessage({ text: ' meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }))
  const [first] = await s.emu.waitForReplies(1)
  t.equal(first?.via, 'webhook')
  t.match(JSON.stringify(first?.body), 'Sprint 43 retrospective')
  // An expired session webhook: the robot OpenAPI fallback.
  const expired = s.emu.newSessionWebhook()
  s.emu.expireSession(expired)
  s.gw.push(robotMessage({ text: ' meeting 5f1c2a9e07b3d4c6e8a1f2b3', sessionWebhook: expired }))
  const replies = await s.emu.waitForReplies(2)
  t.equal(replies[1]?.via, 'openapi')
  // HTTP callback: answered inline, its lookups through the proxy too.
  t.match(await ask(s, 'meeting 100200300'), /may not|无权|permission/i)

  const emu = s.emu
  const host = new URL(emu.baseUrl).host
  const expected: Array<[string, string, number]> = [
    ['POST', '/v1.0/oauth2/accessToken', emu.count('token')],
    ['GET', '/v1.0/conference/roomCodes/615902734/infos', 1],
    ['GET', '/v1.0/conference/videoConferences/5f1c2a9e07b3d4c6e8a1f2b3', 1],
    ['POST', '/robot/sendBySession', emu.count('webhook')],
    ['POST', '/v1.0/robot/groupMessages/send', emu.count('robot.groupSend')],
    ['POST', '/v1.0/gateway/connections/open', s.gw.openCalls],
  ]
  for (const [method, path, n] of expected) {
    t.ok(n >= 1, `${method} ${path}: the emulator saw it`)
    t.equal(through(proxy, method, path), n, `${method} ${path}: every one through the proxy`)
  }
  t.equal(emu.count('webhook'), 2, 'one webhook reply, one refused (expired), then the fallback')
  const tunnels = proxy.calls.filter((c) => c.method === 'CONNECT')
  t.equal(tunnels.length, s.gw.handshakes, 'each WebSocket through a CONNECT tunnel')
  t.same(
    tunnels.map((c) => c.target),
    [host],
  )
  t.ok(accepted.length >= 2, `the emulator accepted ${accepted.length} connections`)
  t.same(
    accepted.filter((port) => !proxy.upstreamPorts.has(port)),
    [],
    'every connection the emulator accepted was opened by the proxy',
  )

  // The credentials reached the proxy, and nothing shows or logs them.
  const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`
  t.ok(proxy.authorizations.length >= proxy.calls.length)
  t.same([...new Set(proxy.authorizations)], [basic], 'every call carried the credentials')
  const config = await ask(s, '/config', ADMIN)
  t.match(config, `- HTTP_PROXY = http://***@127.0.0.1:${proxy.port}`)
  t.match(config, '- HTTPS_PROXY = (not set: direct)')
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), basic.slice(6), SECRET]) {
    t.notOk(config.includes(secret), 'not in /config')
    t.notOk(s.capture.raw.includes(secret), 'not in the logs')
  }
})

t.test('a host in NO_PROXY goes direct', async (t) => {
  const proxy = await startProxy()
  const { s, accepted } = await behind(t, proxy.url, { NO_PROXY: 'intranet.example, 127.0.0.1' })
  t.teardown(() => proxy.close())
  s.gw.push(robotMessage({ text: ' meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }))
  await s.emu.waitForReplies(1)
  t.match(await ask(s, 'meeting 5f1c2a9e07b3d4c6e8a1f2b3'), 'Sprint 42 retrospective')
  t.same(proxy.calls, [], 'the proxy saw nothing')
  t.ok(accepted.length >= 2, 'the emulator was reached directly')
  t.notOk(
    accepted.some((port) => proxy.upstreamPorts.has(port)),
    'no connection came from the proxy',
  )
})

t.test('a proxy that refuses or is not there: the honest "not answering" reply, no crash', async (t) => {
  const refusing = await startProxy({ refuse: 403 })
  const guarded = await startProxy({ credentials: { user: 'bot', password: 'right' } })
  t.teardown(async () => {
    await refusing.close()
    await guarded.close()
  })
  const wrongPassword = guarded.url.replace(':right@', ':wrong@')
  const cases: Array<[string, string, RegExp]> = [
    ['refusing (403)', refusing.url, /HTTP 403/],
    // undici turns a 407 into a network error: the gateway call fails like an unreachable host.
    ['wrong credentials (407)', wrongPassword, /gateway unreachable/],
    ['not listening', 'http://127.0.0.1:1', /unreachable/],
  ]
  for (const [name, url, streamError] of cases) {
    await t.test(name, async (t) => {
      const { s, accepted } = await behind(t, url, {}, false)
      const reply = await ask(s, 'meeting 615902734')
      t.match(reply, /DingTalk is not answering right now.*ref [2-9A-Z]{6}/)
      const ready = await s.readyz()
      t.equal(ready.status, 503)
      t.match(ready.body.checks.stream?.detail, streamError, 'the stream says why')
      t.equal((await fetch(`${s.url}/healthz`)).status, 200, 'still up')
      t.same(accepted, [], 'nothing reached DingTalk by another way')
      t.notOk(s.capture.raw.includes(':wrong@'), 'the proxy URL with its password is not logged')
    })
  }
  t.ok(refusing.calls.length > 0 && refusing.calls.every((c) => c.refused === 403))
  t.ok(guarded.calls.length > 0 && guarded.calls.every((c) => c.refused === 407))
})
