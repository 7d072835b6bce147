import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The environment of the test run without anything that would make the bot leave emulator mode. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(DINGTALK_|BOT_|EMULATOR_|DATA_DIR|PORT|HOST|NODE_ENV|METRICS_TOKEN|REDIS_)/.test(k)) continue
    // A proxy of the machine running the tests would stand between the bot and the test's emulator.
    if (/^(https?|no)_proxy$/i.test(k)) continue
    env[k] = v
  }
  // Child processes run under tsx, whose transpiled code maps differently from tap's ts-node:
  // merging their coverage with the test process's garbles the line counts. Coverage comes from
  // the in-process tests; tap's process tracker still injects itself, told not to record.
  env._TAPJS_PROCESSINFO_COVERAGE_ = '0'
  return { ...env, ...extra }
}

export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'meeting-bot-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface BotProcess {
  readonly proc: ChildProcess
  readonly botUrl: string
  readonly emulatorUrl: string
  stdout(): string
  stderr(): string
  /** Lines of the JSON log (stdout is not a TTY, so logs are JSON). */
  logs(): Array<Record<string, unknown>>
  /** SIGTERM and the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  exited: Promise<number | null>
}

/** `src/main.ts` under tsx as a child process, its output collected; killed when the test ends. */
function spawnMain(t: { teardown(fn: () => unknown): void }, env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  })
  // Complete lines only: the last one may still be arriving.
  const logs = () =>
    out
      .slice(0, out.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  const running = {
    proc,
    stdout: () => out,
    stderr: () => err,
    logs,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      proc.kill(signal)
      return exited
    },
    exited,
  }
  /** Polls `found` until it returns something; fails when the process exits or time runs out. */
  const waitUntil = async <T>(found: () => T | undefined | null, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    let value = found()
    while (value === undefined || value === null) {
      if (proc.exitCode !== null) throw new Error(`bot exited with ${proc.exitCode}: ${err}${out}`)
      if (Date.now() > deadline) throw new Error(`bot did not start: ${err}${out}`)
      await new Promise((r) => setTimeout(r, 50))
      value = found()
    }
    return value
  }
  return { running, waitUntil }
}

/** Runs the real entry point in emulator mode and waits for the emulator banner. */
export async function startBot(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
  opts: { timeoutMs?: number } = {},
): Promise<BotProcess> {
  const { running, waitUntil } = spawnMain(
    t,
    cleanEnv({ PORT: '0', EMULATOR_PORT: '0', LOG_LEVEL: 'info', ...env }),
  )
  const banner = /DingTalk emulator at (http:\/\/[\d.:]+) plays[\s\S]*?Bot: (http:\/\/[\d.:]+)/
  const m = await waitUntil(() => banner.exec(running.stdout()), opts.timeoutMs ?? 20_000)
  return { ...running, emulatorUrl: m[1] as string, botUrl: m[2] as string }
}

/** Runs a command to completion: code, stdout, stderr. */
export function run(
  args: string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`))
    }, timeoutMs)
    proc.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** `npm run chat -- ...args` without npm: the same program. */
export function chat(emulatorUrl: string, args: string[]) {
  return run(['--import', 'tsx', 'src/chat/main.ts', '--emulator', emulatorUrl, ...args])
}

/**
 * Runs the real entry point in real mode (credentials set, e.g. pointing at an emulator of the
 * test) and waits for the `meeting-bot started` log line, which carries the bot's URL.
 */
export async function startReplica(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
  opts: { timeoutMs?: number } = {},
): Promise<Omit<BotProcess, 'emulatorUrl'>> {
  const { running, waitUntil } = spawnMain(
    t,
    cleanEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }),
  )
  const started = await waitUntil(
    () => running.logs().find((l) => l.msg === 'meeting-bot started'),
    opts.timeoutMs ?? 20_000,
  )
  return { ...running, botUrl: started.url as string }
}

/**
 * Like `startReplica`, on a port chosen by the caller, ready once `/readyz` answers 200: for bots
 * that log little (`LOG_LEVEL=warn`), whose start-up line never comes.
 */
export async function startReplicaOnPort(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<Omit<BotProcess, 'emulatorUrl'>> {
  const { running, waitUntil } = spawnMain(
    t,
    cleanEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env, PORT: String(port) }),
  )
  const botUrl = `http://127.0.0.1:${port}`
  let ready = false
  const poll = setInterval(() => {
    fetch(`${botUrl}/readyz`).then(
      (r) => {
        ready ||= r.ok
      },
      () => undefined,
    )
  }, 50)
  try {
    await waitUntil(() => (ready ? true : undefined), opts.timeoutMs ?? 20_000)
  } finally {
    clearInterval(poll)
  }
  return { ...running, botUrl }
}
