import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { CLIENT_ID, fixtureMeetings, robotMessage, SECRET, signedHeaders, waitFor } from '../helpers/index.js'
import { startReplica, tempDir } from '../helpers/process.js'
import { acceptedPorts, startProxy } from '../helpers/proxy.js'

/*
 * DingTalk as production sees it: HTTPS APIs and a wss:// stream, reached only through HTTPS_PROXY
 * (CONNECT tunnels, TLS inside them). The bot is the real entry point in a child process that
 * trusts the emulator's test certificate (NODE_EXTRA_CA_CERTS); the proxy and the emulator run
 * here and count what crossed the proxy and what reached the emulator.
 */

const TLS = fileURLToPath(new URL('../fixtures/tls/', import.meta.url))

t.test('HTTPS_PROXY: every https and wss connection is a CONNECT tunnel through it', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
    tls: { key: readFileSync(`${TLS}loopback.key`), cert: readFileSync(`${TLS}loopback.crt`) },
  })
  const accepted = acceptedPorts(emu.app.server)
  const proxy = await startProxy({ credentials: { user: 'bot', password: 'tunnel-pass' } })
  t.teardown(async () => {
    await emu.close()
    await proxy.close()
  })
  t.match(emu.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/)
  const bot = await startReplica(t, {
    DINGTALK_CLIENT_ID: CLIENT_ID,
    DINGTALK_CLIENT_SECRET: SECRET,
    DINGTALK_API_BASE: emu.baseUrl,
    DINGTALK_OAPI_BASE: emu.baseUrl,
    DINGTALK_TRANSPORTS: 'stream,http',
    DATA_DIR: tempDir(t),
    HTTPS_PROXY: proxy.url,
    NODE_EXTRA_CA_CERTS: `${TLS}loopback.crt`,
  })
  await waitFor(() => emu.stream.openSockets === 1, 15_000, 'the stream connected over wss')

  emu.stream.push(robotMessage({ text: ' meeting 615902734', sessionWebhook: emu.newSessionWebhook() }))
  const expired = emu.newSessionWebhook()
  emu.expireSession(expired)
  emu.stream.push(robotMessage({ text: ' meeting 5f1c2a9e07b3d4c6e8a1f2b3', sessionWebhook: expired }))
  const replies = await emu.waitForReplies(2, 10_000)
  t.same(replies.map((r) => r.via).sort(), ['openapi', 'webhook'])
  const res = await fetch(`${bot.botUrl}/dingtalk/callback`, {
    method: 'POST',
    headers: signedHeaders(),
    body: JSON.stringify(robotMessage({ text: 'meeting 100200300' })),
  })
  t.equal(res.status, 200)

  for (const api of ['token', 'conference.byRoomCode', 'conference.info', 'webhook', 'robot.groupSend'])
    t.ok(emu.count(api as 'token') >= 1, `${api} reached the emulator`)
  t.ok(emu.stream.openCalls >= 1 && emu.stream.handshakes >= 1, 'gateway call and wss handshake')
  const host = new URL(emu.baseUrl).host
  t.ok(proxy.calls.length >= 2, `${proxy.calls.length} tunnels`)
  t.same(
    proxy.calls.filter((c) => c.method !== 'CONNECT' || c.target !== host || c.refused),
    [],
    'nothing but CONNECT tunnels to DingTalk, none refused',
  )
  t.same(
    accepted.filter((port) => !proxy.upstreamPorts.has(port)),
    [],
    `all ${accepted.length} connections the emulator accepted came through the proxy`,
  )
  t.same([...new Set(proxy.authorizations)], [`Basic ${Buffer.from('bot:tunnel-pass').toString('base64')}`])
  t.equal(await bot.stop(), 0, 'SIGTERM: exit 0')
  t.notMatch(
    bot.stdout() + bot.stderr(),
    /tunnel-pass|Ym90OnR1bm5lbC1wYXNz/,
    'the proxy password is not logged',
  )
})
