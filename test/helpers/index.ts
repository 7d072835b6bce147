import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type App, createApp, type Tuning } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { signCallback } from '../../src/dingtalk/signature.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import type { EmulatorMeeting } from '../../src/emulator/meetings.js'
import { createLogger, type Logger } from '../../src/logger.js'
import type { Store } from '../../src/store/store.js'

export const CLIENT_ID = 'dingrobot2b7c9e4f'
export const SECRET = 'GT-lsu-taDAxxxsTsxxxx-test-secret'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as T
}

let seq = 0
/** A robot message like DingTalk sends, in a group unless told otherwise. */
export function robotMessage(
  over: Partial<RobotMessagePayload> & { text?: string } = {},
): RobotMessagePayload {
  const base = fixture<RobotMessagePayload>('robot-text-group')
  const { text, ...rest } = over
  seq++
  return {
    ...base,
    msgId: `msgTest${process.pid}x${seq}x${Math.random().toString(36).slice(2, 8)}`,
    sessionWebhookExpiredTime: Date.now() + 90 * 60_000,
    ...(text !== undefined ? { text: { content: text } } : {}),
    ...rest,
  }
}

/** The meetings of `test/fixtures`: room 615902734 has an ended and a live instance. */
export function fixtureMeetings(): EmulatorMeeting[] {
  const ended = fixture<{ confInfo: EmulatorMeeting }>('conference-info-ended').confInfo
  const live = fixture<{ confInfo: EmulatorMeeting }>('conference-info-live').confInfo
  return [
    { ...ended },
    { ...live },
    {
      conferenceId: '0a1b2c3d4e5f60718293a4b5',
      roomCode: '100200300',
      title: 'Restricted',
      status: 2,
      startTime: live.startTime,
      creatorNick: 'x',
      forbidden: true,
    },
  ]
}

/** Collects the JSON log lines a logger writes, for assertions (redaction, audit lines...). */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = []
  raw = ''
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    const s = chunk.toString()
    this.raw += s
    for (const line of s.split('\n'))
      if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>)
    cb()
  }
  find(msg: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg)
  }
}

export function captureLogger(level = 'debug'): { log: Logger; capture: LogCapture } {
  const capture = new LogCapture()
  return { log: createLogger(level, capture), capture }
}

export function testConfig(emu: DingTalkEmulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    DINGTALK_CLIENT_ID: CLIENT_ID,
    DINGTALK_CLIENT_SECRET: SECRET,
    DINGTALK_API_BASE: emu.baseUrl,
    DINGTALK_OAPI_BASE: emu.baseUrl,
    DINGTALK_TRANSPORTS: 'http',
    DINGTALK_TIMEOUT_MS: '1000',
    ...env,
  })
}

/** Fast retry and delivery delays so error paths run in milliseconds. */
export const FAST: Partial<Tuning> = {
  retry: { maxAttempts: 3, throttleBudgetMs: 300, baseDelayMs: 5 },
  delivery: { webhookAttempts: 3, busyDelayMs: 5, tooFastDelayMs: 10, expiryMarginMs: 10_000 },
  inlineDeadlineMs: 1500,
  drainMs: 2000,
}

export interface Stack {
  emu: DingTalkEmulator
  app: App
  capture: LogCapture
  /** The bot's base URL (listening on 127.0.0.1, port 0). */
  url: string
  post(payload: unknown, headers?: Record<string, string>): Promise<Response>
}

export function signedHeaders(secret = SECRET, now = Date.now()): Record<string, string> {
  const timestamp = String(now)
  return { timestamp, sign: signCallback(timestamp, secret), 'content-type': 'application/json' }
}

/** An emulator and a bot wired to it, both on loopback; closed when the test ends. */
export async function startStack(
  t: { teardown(fn: () => unknown): void },
  opts: {
    meetings?: EmulatorMeeting[]
    env?: Record<string, string>
    tuning?: Partial<Tuning>
    clock?: () => number
    store?: Store
  } = {},
): Promise<Stack> {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: opts.meetings ?? fixtureMeetings(),
  })
  const { log, capture } = captureLogger()
  const app = createApp({
    config: testConfig(emu, opts.env),
    log,
    tuning: { ...FAST, ...opts.tuning },
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.store ? { store: opts.store } : {}),
  })
  const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await app.stop()
    await emu.close()
  })
  return {
    emu,
    app,
    capture,
    url,
    post: (payload, headers = signedHeaders()) =>
      fetch(`${url}/dingtalk/callback`, {
        method: 'POST',
        headers,
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      }),
  }
}
