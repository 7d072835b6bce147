import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import t from 'tap'
import { bypassesProxy, createOutbound, proxyFor } from '../../src/dingtalk/proxy.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { GatewayClient } from '../../src/transports/stream/connection.js'
import { CLIENT_ID, failure, SECRET } from '../helpers/index.js'
import { acceptedPorts, startProxy } from '../helpers/proxy.js'

t.test('NO_PROXY as curl reads it', async (t) => {
  const cases: Array<[string[], string, boolean]> = [
    [[], 'https://api.dingtalk.com', false],
    [['*'], 'https://api.dingtalk.com', true],
    [['dingtalk.com'], 'https://api.dingtalk.com/v1.0', true],
    [['dingtalk.com'], 'https://dingtalk.com', true],
    [['dingtalk.com'], 'https://notdingtalk.com', false],
    [['.dingtalk.com'], 'https://dingtalk.com', true],
    [['.dingtalk.com'], 'wss://wss-open-connection.dingtalk.com', true],
    [['*.dingtalk.com'], 'https://oapi.dingtalk.com', true],
    [[' API.DingTalk.com '], 'https://api.dingtalk.com', true],
    [['oapi.dingtalk.com'], 'https://api.dingtalk.com', false],
    [['127.0.0.1'], 'http://127.0.0.1:3001', true],
    [['127.0.0.1'], 'http://127.0.0.2:3001', false],
    [['10.0.0.0/8'], 'http://10.20.30.40', true],
    [['10.0.0.0/8'], 'http://11.0.0.1', false],
    [['10.0.0.0/8'], 'http://ten.example', false],
    [['::1'], 'http://[::1]:8080', true],
    [['[::1]'], 'http://[::1]:8080', true],
    [['fd00::/8'], 'http://[fd12::1]', true],
    [['fd00::/8'], 'http://[fe80::1]', false],
    [['example.com:8443'], 'https://example.com:8443', true],
    [['example.com:8443'], 'https://example.com', false],
    [['example.com:443'], 'https://example.com', true],
    [['example.com:443'], 'wss://example.com/connect', true],
    [['[::1]:80'], 'ws://[::1]/', true],
    [['', 'other.example'], 'https://api.dingtalk.com', false],
  ]
  for (const [noProxy, url, direct] of cases) {
    t.equal(bypassesProxy(noProxy, new URL(url)), direct, `${JSON.stringify(noProxy)} ${url}`)
  }
})

t.test('https and wss use the HTTPS proxy, http and ws the HTTP proxy; no fall-back', async (t) => {
  const both = {
    httpProxy: 'http://plain:3128',
    httpsProxy: 'http://secure:3128',
    noProxy: ['intra.example'],
  }
  t.equal(proxyFor(both, new URL('https://api.dingtalk.com')), 'http://secure:3128')
  t.equal(proxyFor(both, new URL('wss://wss-open-connection.dingtalk.com')), 'http://secure:3128')
  t.equal(proxyFor(both, new URL('http://api.dingtalk.com')), 'http://plain:3128')
  t.equal(proxyFor(both, new URL('ws://api.dingtalk.com')), 'http://plain:3128')
  t.equal(proxyFor(both, new URL('https://wiki.intra.example')), undefined, 'NO_PROXY')
  const httpOnly = { httpProxy: 'http://plain:3128', httpsProxy: undefined, noProxy: [] }
  t.equal(proxyFor(httpOnly, new URL('https://api.dingtalk.com')), undefined, 'as curl: https goes direct')
  t.equal(proxyFor(httpOnly, new URL('http://api.dingtalk.com')), 'http://plain:3128')
})

t.test('fetch: plain http as absolute-URI requests, https through a CONNECT tunnel', async (t) => {
  const target = createHttpServer((req, res) => res.end(JSON.stringify({ path: req.url })))
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r))
  const accepted = acceptedPorts(target)
  const port = (target.address() as { port: number }).port
  const proxy = await startProxy({ credentials: { user: 'u', password: 'p@ss' } })
  const out = createOutbound({ httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: [] })
  t.teardown(async () => {
    await out.close()
    await proxy.close()
    target.close()
  })
  const res = await out.fetch(`http://127.0.0.1:${port}/v1.0/x?a=1`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(2000),
  })
  t.same(await res.json(), { path: '/v1.0/x?a=1' })
  t.same(proxy.calls, [{ method: 'POST', target: `http://127.0.0.1:${port}/v1.0/x?a=1` }])
  t.same(
    accepted.filter((p) => !proxy.upstreamPorts.has(p)),
    [],
    'the target was reached only by the proxy',
  )
  // The target speaks plain HTTP, so TLS fails after the tunnel: what matters is the CONNECT.
  await failure(out.fetch(`https://127.0.0.1:${port}/v1.0/y`, { signal: AbortSignal.timeout(2000) }))
  t.same(proxy.calls[1], { method: 'CONNECT', target: `127.0.0.1:${port}` })
  t.same([...new Set(proxy.authorizations)], [`Basic ${Buffer.from('u:p@ss').toString('base64')}`])
})

t.test('the WebSocket agent: a tunnel through the right proxy, none for a host in NO_PROXY', async (t) => {
  const out = createOutbound({
    httpProxy: 'http://a:1',
    httpsProxy: 'http://b:2',
    noProxy: ['direct.example'],
  })
  t.teardown(() => out.close())
  const proxyOf = (url: string) =>
    (out.wsAgent(new URL(url)) as unknown as { proxy: URL } | undefined)?.proxy.href
  t.equal(proxyOf('wss://stream.example/connect'), 'http://b:2/')
  t.equal(proxyOf('ws://stream.example/connect'), 'http://a:1/')
  t.equal(out.wsAgent(new URL('wss://direct.example/connect')), undefined)
})

t.test('a proxy that never answers the CONNECT: the handshake still ends in time', async (t) => {
  const emu = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings: [] })
  // Reads what it is sent (so it sees the client hang up), never answers.
  const silent = createServer((socket) => socket.resume())
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`
  const out = createOutbound({ httpProxy: silentUrl, httpsProxy: silentUrl, noProxy: [] })
  const closed: number[] = []
  const c = new GatewayClient({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    apiBase: emu.baseUrl,
    ua: 'test',
    timeoutMs: 300,
    wsAgent: out.wsAgent,
    events: {
      robotFrame() {},
      eventFrame() {},
      disconnectAnnounced() {},
      badFrame() {},
      closed: (code) => closed.push(code),
    },
  })
  t.teardown(async () => {
    c.terminate()
    await out.close()
    await new Promise((r) => silent.close(r))
    await emu.close()
  })
  await c.getEndpoint() // direct: the emulator answers
  const started = performance.now()
  const err = await failure(c._connect())
  t.match(err.message, 'handshake timed out after 300 ms')
  t.ok(performance.now() - started < 1500, 'within about the timeout')
  t.equal(emu.stream.handshakeAttempts, 0, 'the socket never reached the gateway')
  t.same(closed, [], 'a socket that never opened is not reported closed')
  const connections = () => new Promise<number>((r) => silent.getConnections((_e, n) => r(n)))
  let open = await connections()
  for (let i = 0; i < 50 && open > 0; i++) {
    await new Promise((r) => setTimeout(r, 20))
    open = await connections()
  }
  t.equal(open, 0, 'the half-made tunnel was closed, not left to the proxy')
})
