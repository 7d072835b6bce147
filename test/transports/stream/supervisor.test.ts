import { spawn } from 'node:child_process'
import t from 'tap'
import { StreamTransport } from '../../../src/transports/stream/supervisor.js'
import { captureLogger, robotMessage, streamTransport, waitFor } from '../../helpers/index.js'
import { cleanEnv, ROOT } from '../../helpers/process.js'

const setup = streamTransport

t.test('a handler that throws or rejects is logged; frames are still acked and handled', async (t) => {
  const seen: string[] = []
  let n = 0
  const { gw, stream, capture } = await setup(t, (msg) => {
    n++
    if (n === 1) throw new Error('sync boom')
    if (n === 2) return Promise.reject(new Error('async boom'))
    seen.push(msg.id)
    return new Promise(() => {}) // never settles: the transport must not wait for it
  })
  stream.start()
  await waitFor(() => stream.status().state === 'connected', 3000, 'connected')
  const third = robotMessage()
  const ids = [gw.push(robotMessage()), gw.push(robotMessage()), gw.push(third), gw.push(robotMessage())]
  for (const id of ids) await gw.waitForAck(id)
  await waitFor(() => seen.length === 2, 2000, 'later messages handled')
  t.equal(seen[0], third.msgId)
  const failed = capture.find('message handling failed')
  t.equal(failed.length, 2)
  t.match(failed.map((l) => (l.err as { message: string }).message).sort(), ['async boom', 'sync boom'])
})

t.test('status() tells the state, since when, how many messages and reconnects', async (t) => {
  let now = 1_000_000
  const { gw, stream } = await setup(t, async () => 'answered', { clock: () => now })
  t.match(stream.status(), { state: 'idle', connectedSince: undefined, reconnects: 0, messages: 0 })
  stream.start()
  stream.start() // idempotent
  t.equal(stream.status().state, 'connecting')
  await waitFor(() => stream.status().state === 'connected', 3000, 'connected')
  t.equal(stream.status().connectedSince, 1_000_000)
  now = 2_000_000
  await gw.waitForAck(gw.push(robotMessage()))
  t.match(stream.status(), { messages: 1, lastMessageAt: 2_000_000 })
  gw.dropAll()
  await waitFor(() => stream.status().reconnects === 1, 3000, 'reconnected')
  t.equal(gw.handshakes, 2)
  await stream.stop()
  await stream.stop() // idempotent
  t.match(stream.status(), { state: 'stopped', connectedSince: undefined })
  t.equal(gw.openSockets, 0)
})

t.test('start() without credentials fails loudly instead of retrying forever', async (t) => {
  const { log } = captureLogger()
  const stream = new StreamTransport({
    clientId: '',
    clientSecret: '',
    apiBase: 'http://127.0.0.1:9',
    port: {
      handle: async () => 'ignored',
      keep: async () => true,
      event: async () => 'ignored',
      cardAction: async () => ({ outcome: 'ignored' as const }),
      busy: () => false,
    },
    log,
  })
  t.throws(() => stream.start(), /needs DINGTALK_CLIENT_ID/)
  await stream.stop()
})

t.test('the process exits by itself after stop(): no timer or socket left behind', async (t) => {
  // A child process with no process.exit(): it only ends if stop() really cleaned up.
  const script = `
    import { DingTalkEmulator } from './src/emulator/emulator.ts'
    import { StreamTransport } from './src/transports/stream/supervisor.ts'
    import { createLogger } from './src/logger.ts'
    const emu = await DingTalkEmulator.start({ clientId: 'id', clientSecret: 's', meetings: [] })
    const until = async (cond) => { while (!cond()) await new Promise((r) => setTimeout(r, 5)) }
    const make = () => new StreamTransport({
      clientId: 'id', clientSecret: 's', apiBase: emu.baseUrl, log: createLogger('silent'),
      port: { handle: () => new Promise((r) => setTimeout(() => r('answered'), 20)) },
      backoff: { initialMs: 20, maxMs: 100 }, watchdogMs: 200, stableAfterMs: 50,
    })
    const a = make()
    a.start()
    await until(() => a.status().state === 'connected')
    await emu.stream.waitForAck(emu.stream.push({ msgId: 'x' }))
    emu.stream.sendDisconnect({ closeAfterMs: 5 })
    await until(() => a.status().reconnects === 1)
    await a.stop()
    emu.fail('gateway.open', { status: 500, times: 1000 })
    const b = make()
    b.start()
    await until(() => emu.stream.openCalls >= 4)
    await b.stop()
    await emu.close()
    process.stdout.write('stopped')
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => {
    out += String(d)
  })
  child.stderr.on('data', (d) => {
    err += String(d)
  })
  let stoppedAt = 0
  const killer = setTimeout(() => child.kill('SIGKILL'), 8000)
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', () => {
      if (out.includes('stopped') && !stoppedAt) stoppedAt = Date.now()
    })
    child.on('exit', (c) => resolve(c))
  })
  clearTimeout(killer)
  t.equal(code, 0, err)
  t.equal(out, 'stopped')
  t.ok(Date.now() - stoppedAt < 1000, 'exited right after stopping')
})
