import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { robotMessage, SECRET, startStreamStack, waitFor } from '../../helpers/index.js'

const ASK = ' meeting 615902734'

/** Open calls in [from, to) by the gateway's clock. */
function opensBetween(times: readonly number[], from: number, to = Date.now()): number[] {
  return times.filter((x) => x >= from && x < to)
}

t.test('a dropped socket is replaced with backoff: bounded gateway calls, then recovery', async (t) => {
  const s = await startStreamStack(t, { stream: { backoff: { initialMs: 50, maxMs: 400 } } })
  s.emu.fail('gateway.open', { status: 500, times: 1000 })
  const dropped = Date.now()
  s.gw.dropAll()
  await sleep(1500)
  const calls = opensBetween(s.gw.openTimes, dropped)
  // 1 s fixed retries would be ~2 calls, a storm hundreds; 50→400 ms backoff gives 5 to 8.
  t.ok(calls.length >= 3 && calls.length <= 10, `${calls.length} gateway calls in 1.5 s`)
  t.ok((calls[0] ?? 0) - dropped >= 20, 'the first retry waits')
  const gaps = calls.slice(1).map((c, i) => c - (calls[i] ?? 0))
  t.ok((gaps.at(-1) ?? 0) >= 180, `delays grow to the cap: ${gaps.join(', ')} ms`)
  s.emu.clearFaults()
  await s.connected()
  t.equal(s.app.stream?.status().reconnects, 1)
  t.equal(s.gw.maxOpenSockets, 1, 'never two sockets')
})

t.test('refused handshakes: one gateway call per failure, backing off (the SDK doubles them)', async (t) => {
  const s = await startStreamStack(t, { stream: { backoff: { initialMs: 50, maxMs: 400 } } })
  s.gw.refuseHandshakes(1000)
  const before = { opens: s.gw.openCalls, attempts: s.gw.handshakeAttempts }
  s.gw.dropAll()
  await sleep(1500)
  const opens = s.gw.openCalls - before.opens
  const attempts = s.gw.handshakeAttempts - before.attempts
  t.ok(opens >= 3 && opens <= 10, `${opens} gateway calls in 1.5 s`)
  // The last ticket may still be on its way to the handshake when we count.
  t.ok(opens - attempts >= 0 && opens - attempts <= 1, `one handshake per ticket: ${attempts}/${opens}`)
  s.gw.refuseHandshakes(0)
  await s.connected()
  t.equal(s.gw.maxOpenSockets, 1)
})

t.test('gateway 5xx, HTML and resets at startup: backoff, then connected', async (t) => {
  const s = await startStreamStack(t, {
    before: (emu) => {
      emu.fail('gateway.open', { status: 500, times: 2 })
      emu.fail('gateway.open', { status: 503, html: true })
      emu.fail('gateway.open', { reset: true })
    },
  })
  t.equal(s.emu.count('gateway.open'), 5)
  t.equal(s.gw.handshakes, 1)
  const gaps = s.gw.openTimes.slice(1).map((c, i) => c - (s.gw.openTimes[i] ?? 0))
  t.ok(gaps.every((g) => g >= 10) && (gaps.at(-1) ?? 0) >= 80, `waits between calls: ${gaps.join(', ')} ms`)
  t.equal(s.app.stream?.status().state, 'connected')
})

t.test('a disconnect frame: the replacement is up before the old socket closes', async (t) => {
  const s = await startStreamStack(t)
  await sleep(200) // older than stableAfterMs: the replacement starts at once
  const oldId = s.gw.sendDisconnect({ closeAfterMs: 3000 })
  const announced = Date.now()
  await waitFor(() => s.gw.handshakes === 2 && s.gw.openSockets === 1, 2000, 'replacement up, old closed')
  const [old, fresh] = s.gw.connections
  t.equal(old?.id, oldId)
  t.ok((fresh?.openedAt ?? Infinity) <= (old?.closedAt ?? 0), 'new socket opened before the old one closed')
  t.ok((old?.closedAt ?? Infinity) - announced < 1000, 'the bot closed the old socket, not the server')
  t.equal(old?.closeCode, 1000, 'with a close handshake')
  t.equal(s.gw.maxOpenSockets, 2)
  await sleep(300)
  t.equal(s.gw.openSockets, 1, 'never two live sockets afterwards')
  t.equal(s.gw.handshakes, 2, 'and no further reconnects')
  await s.gw.waitForAck(s.gw.push(robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })))
  await s.emu.waitForReplies(1)
  t.equal(s.app.stream?.status().reconnects, 1)
})

t.test(
  'a disconnect frame while the gateway fails: retried, and the server closing first is fine',
  async (t) => {
    const s = await startStreamStack(t)
    s.emu.fail('gateway.open', { status: 500, times: 3 })
    s.gw.sendDisconnect({ closeAfterMs: 30 })
    await waitFor(() => s.emu.count('gateway.open') >= 5, 3000, 'the failed calls and a good one')
    await s.connected()
    await sleep(200)
    t.equal(s.gw.openSockets, 1)
    t.equal(s.gw.handshakes, 2)
  },
)

t.test('a silent socket trips the watchdog and is replaced', async (t) => {
  const s = await startStreamStack(t, { stream: { watchdogMs: 300 } })
  const silenced = Date.now()
  s.gw.silence()
  await waitFor(() => s.gw.handshakes === 2, 2000, 'a second connection')
  await s.connected()
  const [old] = s.gw.connections
  t.ok((old?.closedAt ?? 0) - silenced >= 250, 'not before the watchdog limit')
  t.equal(old?.closeCode, 1006, 'the dead socket was cut')
  t.match(s.capture.find('stream connection lost; reconnecting')[0], { reason: /^socket silent for \d+ ms$/ })
})

t.test('a quiet but healthy socket is probed, not replaced', async (t) => {
  const s = await startStreamStack(t, { stream: { watchdogMs: 200 } })
  await sleep(1000)
  t.equal(s.gw.handshakes, 1, 'WebSocket pings answered by the gateway keep it alive')
  t.equal(s.app.stream?.status().state, 'connected')
})

t.test('nothing goes to the console and no log line holds a secret or a ticket', async (t) => {
  const calls: string[] = []
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
  const saved = methods.map((m) => console[m])
  for (const m of methods) console[m] = (...args: unknown[]) => void calls.push(`${m}: ${String(args[0])}`)
  t.teardown(() => {
    methods.forEach((m, i) => {
      console[m] = saved[i] as (typeof console)[typeof m]
    })
  })
  const s = await startStreamStack(t, { before: (emu) => emu.stream.refuseHandshakes(1, 401) })
  await sleep(200)
  s.gw.sendDisconnect({ closeAfterMs: 50 })
  await waitFor(() => s.gw.handshakes === 2 && s.gw.openSockets === 1, 2000, 'replacement')
  s.gw.sendRaw('not json')
  await s.gw.waitForAck(s.gw.push(robotMessage({ text: ASK, sessionWebhook: s.emu.newSessionWebhook() })))
  await s.emu.waitForReplies(1)
  await s.app.stop()
  t.same(calls, [])
  t.ok(s.gw.issuedTickets.length >= 3)
  for (const ticket of s.gw.issuedTickets) t.notOk(s.capture.raw.includes(ticket), 'no ticket in the log')
  t.notOk(s.capture.raw.includes(SECRET), 'no secret in the log')
  t.notOk(/ticket=/.test(s.capture.raw), 'no socket URL in the log')
})

t.test('stop() closes the socket and leaves nothing running', async (t) => {
  t.test('while connected', async (t) => {
    const s = await startStreamStack(t)
    const started = Date.now()
    await s.app.stop()
    t.ok(Date.now() - started < 500)
    t.equal(s.gw.openSockets, 0)
    t.equal(s.app.stream?.status().state, 'stopped')
    const opens = s.gw.openCalls
    await sleep(200)
    t.equal(s.gw.openCalls, opens, 'no reconnect after stop')
  })

  t.test('while backing off after failures', async (t) => {
    const s = await startStreamStack(t, {
      before: (emu) => emu.fail('gateway.open', { status: 500, times: 1000 }),
      waitConnected: false,
    })
    await waitFor(() => s.gw.openCalls >= 2, 2000, 'two failed calls')
    await s.app.stop()
    const opens = s.gw.openCalls
    await sleep(500)
    t.equal(s.gw.openCalls, opens, 'no call after stop')
  })

  t.test('while the gateway call hangs', async (t) => {
    const s = await startStreamStack(t, {
      before: (emu) => emu.fail('gateway.open', { delayMs: 800 }),
      waitConnected: false,
    })
    await waitFor(() => s.gw.openCalls === 1, 2000, 'the call in flight')
    const started = Date.now()
    await s.app.stop()
    t.ok(Date.now() - started < 500, 'the call is aborted')
    await sleep(900)
    t.equal(s.gw.handshakes, 0, 'and its answer is not used')
    t.equal(s.gw.openCalls, 1)
  })
})
