import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import type { EmulatorCommand } from './emulator-protocol.js'
import { BENCH_CLIENT_ID } from './payload.js'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TSX = ['--import', 'tsx']

/** Everything a bench child gets from the environment, minus what would change the bot's mode. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (
      !/^(DINGTALK_|BOT_|EMULATOR_|DATA_DIR|PORT|HOST|NODE_ENV|METRICS_TOKEN|REDIS_|LOG_LEVEL|NODE_OPTIONS)/.test(
        k,
      )
    )
      env[k] = v
  }
  return { ...env, ...extra }
}

/** A free loopback port (the bot logs its address only at info level, which the bench turns off). */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const addr = srv.address()
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  if (!addr || typeof addr === 'string') throw new Error('no port')
  return addr.port
}

async function waitFor(what: string, proc: ChildProcess, ok: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`)
    if (await ok().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function stopProcess(proc: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
    proc.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    proc.kill('SIGTERM')
  })
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux; NaN elsewhere). Unlike
 * throughput, CPU per request hardly depends on what else the machine is doing.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat(5) (utime, stime), counted after the command name: 12 and 13.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}
const CLOCK_TICKS = 100

/** The emulator child process and its IPC commands. */
export class EmulatorProcess {
  private seq = 0
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()

  private constructor(
    readonly proc: ChildProcess,
    readonly baseUrl: string,
  ) {
    proc.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      const w = m.id === undefined ? undefined : this.waiting.get(m.id)
      if (!w || m.id === undefined) return
      this.waiting.delete(m.id)
      if (m.ok) w.resolve(m.result)
      else w.reject(new Error(`emulator: ${m.error}`))
    })
    proc.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`emulator exited with ${code}`))
      this.waiting.clear()
    })
  }

  static async start(secret: string, env: Record<string, string> = {}): Promise<EmulatorProcess> {
    const proc = spawn(process.execPath, [...TSX, join(ROOT, 'scripts/bench/emulator-process.ts')], {
      cwd: ROOT,
      env: baseEnv({ ...env, BENCH_SECRET: secret }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('emulator did not start in 20 s')), 20_000)
      proc.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)))
      proc.on('message', (m: { ready?: boolean; baseUrl?: string }) => {
        if (m.ready && m.baseUrl) {
          clearTimeout(timer)
          resolve(m.baseUrl)
        }
      })
    })
    return new EmulatorProcess(proc, baseUrl)
  }

  call<T = unknown>(command: EmulatorCommand, timeoutMs = 120_000): Promise<T> {
    const id = ++this.seq
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new Error(`emulator: ${command.cmd} timed out`))
      }, timeoutMs)
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer)
          resolve(v as T)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      this.proc.send({ id, ...command })
    })
  }

  async counts(): Promise<{ calls: Record<string, number>; replies: number }> {
    return this.call({ cmd: 'counts' })
  }

  async stop(): Promise<void> {
    if (this.proc.connected) this.proc.disconnect()
    await stopProcess(this.proc)
  }
}

/** Numeric samples of the bot's Prometheus endpoint, by metric name (labels dropped: first wins). */
export async function scrape(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? ([-+\d.eE]+|NaN)$/.exec(line)
    const name = m?.[1]
    if (name && !(name in out)) out[name] = Number(m?.[2])
  }
  return out
}

export interface BotProcess {
  readonly url: string
  readonly pid: number
  /** Full GC in the bot (over the inspector), then its `process.memoryUsage()`. */
  memory(): Promise<NodeJS.MemoryUsage>
  /** A heap snapshot of the bot, written to `file` (needs `inspect`). */
  heapSnapshot(file: string): Promise<void>
  stop(): Promise<void>
}

/**
 * The real service as production runs it (`npm start` without the build: `node
 * --enable-source-maps --max-old-space-size=192 dist/main.js`), in real mode: credentials set,
 * DingTalk endpoints pointing at the emulator.
 */
export async function startBot(
  emulatorUrl: string,
  secret: string,
  opts: { env?: Record<string, string>; inspect?: boolean; nodeArgs?: string[] } = {},
): Promise<BotProcess> {
  const port = await freePort()
  // On disk like production's ./data; BENCH_DATA_DIR puts it elsewhere (e.g. /dev/shm, to see what
  // the SQLite file's fsyncs cost).
  const dataDir = mkdtempSync(join(process.env.BENCH_DATA_DIR ?? tmpdir(), 'meeting-bot-bench-'))
  const args = [
    '--enable-source-maps',
    // As `npm start`: the live heap is bounded by design; the cap makes V8 collect instead of growing.
    '--max-old-space-size=192',
    ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : []),
    ...(opts.nodeArgs ?? []),
    // BENCH_BOT_ENTRY: another build of the bot (e.g. a copy of the tree with a change undone), to compare.
    process.env.BENCH_BOT_ENTRY ?? join(ROOT, 'dist/main.js'),
  ]
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: baseEnv({
      NODE_ENV: 'production',
      DINGTALK_CLIENT_ID: BENCH_CLIENT_ID,
      DINGTALK_CLIENT_SECRET: secret,
      DINGTALK_API_BASE: emulatorUrl,
      DINGTALK_OAPI_BASE: emulatorUrl,
      DINGTALK_TRANSPORTS: 'http,stream',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      ...opts.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000)
  })
  // Warnings and errors only (LOG_LEVEL=warn); shown when the bench is asked to be verbose.
  proc.stdout?.on('data', (d: Buffer) => {
    if (process.env.BENCH_VERBOSE || opts.nodeArgs?.length) process.stderr.write(`[bot ${proc.pid}] ${d}`)
  })
  const url = `http://127.0.0.1:${port}`
  const inspectorUrl = () => {
    const m = /ws:\/\/\S+/.exec(stderr)
    if (!m) throw new Error('the bot was not started with the inspector')
    return m[0]
  }
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true })
  try {
    await waitFor('the bot', proc, async () => (await fetch(`${url}/readyz`)).ok)
  } catch (err) {
    proc.kill('SIGKILL')
    cleanup()
    throw new Error(`${(err as Error).message}\n${stderr}`)
  }
  return {
    url,
    pid: proc.pid as number,
    async memory() {
      return inspectMemory(inspectorUrl())
    },
    async heapSnapshot(file) {
      await writeHeapSnapshot(inspectorUrl(), file)
    },
    async stop() {
      await stopProcess(proc, 15_000)
      cleanup()
    },
  }
}

interface InspectorSession {
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>
  on(event: string, fn: (params: Record<string, unknown>) => void): void
  close(): void
}

/** A DevTools-protocol session with the bot (started with `--inspect`). */
async function inspector(wsUrl: string): Promise<InspectorSession> {
  const ws = new WebSocket(wsUrl, { maxPayload: 256 << 20 })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let seq = 0
  const pending = new Map<number, { resolve(v: Record<string, unknown>): void; reject(e: Error): void }>()
  const listeners = new Map<string, (params: Record<string, unknown>) => void>()
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as {
      id?: number
      method?: string
      params?: Record<string, unknown>
      result?: Record<string, unknown>
      error?: unknown
    }
    if (msg.method) listeners.get(msg.method)?.(msg.params ?? {})
    const p = msg.id === undefined ? undefined : pending.get(msg.id)
    if (!p || msg.id === undefined) return
    pending.delete(msg.id)
    if (msg.error) p.reject(new Error(JSON.stringify(msg.error)))
    else p.resolve(msg.result ?? {})
  })
  return {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++seq
        pending.set(id, { resolve, reject })
        ws.send(JSON.stringify({ id, method, params }))
      }),
    on: (event, fn) => listeners.set(event, fn),
    close: () => ws.close(),
  }
}

/** Two full GCs in the target (over the inspector protocol), then its `process.memoryUsage()`. */
async function inspectMemory(wsUrl: string): Promise<NodeJS.MemoryUsage> {
  const s = await inspector(wsUrl)
  try {
    await s.call('HeapProfiler.collectGarbage')
    await s.call('HeapProfiler.collectGarbage')
    const r = await s.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })
    return JSON.parse((r.result as { value: string }).value) as NodeJS.MemoryUsage
  } finally {
    s.close()
  }
}

/** Writes a heap snapshot of the target (open it in Chrome DevTools, Memory tab). */
async function writeHeapSnapshot(wsUrl: string, file: string): Promise<void> {
  const s = await inspector(wsUrl)
  const chunks: string[] = []
  s.on('HeapProfiler.addHeapSnapshotChunk', (p) => chunks.push(String(p.chunk)))
  try {
    await s.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
    writeFileSync(file, chunks.join(''))
  } finally {
    s.close()
  }
}

/** The baseline: a bare Fastify route in its own process (see baseline-server.ts). */
export async function startBaseline(
  fixedReply: string,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort()
  const proc = spawn(process.execPath, [...TSX, join(ROOT, 'scripts/bench/baseline-server.ts')], {
    cwd: ROOT,
    env: baseEnv({ PORT: String(port), BENCH_FIXED_REPLY: fixedReply }),
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor('the baseline server', proc, async () => (await fetch(`${url}/healthz`)).ok)
  return { url, pid: proc.pid as number, stop: () => stopProcess(proc) }
}
