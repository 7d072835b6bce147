import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type App, createApp, type Tuning } from '../../src/app/index.js'
import { type Config, loadConfig } from '../../src/config.js'
import type { InboundPort } from '../../src/core/port.js'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { signCallback } from '../../src/dingtalk/signature.js'
import { DingTalkEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js'
import type { StreamGateway } from '../../src/emulator/gateway.js'
import type { EmulatorMeeting } from '../../src/emulator/meetings.js'
import { createLogger, type Logger } from '../../src/logger.js'
import type { CheckResult } from '../../src/ops/readiness.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Store } from '../../src/store/store.js'
import {
  StreamTransport,
  type StreamTransportOptions,
  type StreamTuning,
} from '../../src/transports/stream/supervisor.js'

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
    createAt: Date.now(),
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
    // Tests talk a lot as one user; the rate-limit tests set their own limit.
    BOT_USER_RATE_LIMIT: '10000',
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
    /** Knobs of the emulator's stream gateway. */
    gateway?: EmulatorOptions['stream']
    /** Runs before the bot starts, to set up faults (or state the bot finds at start). */
    before?: (emu: DingTalkEmulator) => void | Promise<void>
    /** More emulator options (its ISV mode: `isv`). */
    emulator?: Partial<EmulatorOptions>
  } = {},
): Promise<Stack> {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: opts.meetings ?? fixtureMeetings(),
    ...(opts.gateway ? { stream: opts.gateway } : {}),
    ...opts.emulator,
  })
  await opts.before?.(emu)
  const { log, capture } = captureLogger()
  const app = await createApp({
    config: testConfig(emu, opts.env),
    log,
    tuning: { ...FAST, stream: FAST_STREAM, ...opts.tuning },
    ...(opts.clock ? { clock: opts.clock } : {}),
    // The app defaults to the production store (a SQLite file under DATA_DIR); tests say which.
    store: opts.store ?? new MemoryStore(),
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

/** Polls `predicate` until it holds (or fails the wait after `timeoutMs`). */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The error a promise rejects with; fails when it resolves. */
export async function failure(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p
  } catch (err) {
    return err as Error & Record<string, unknown>
  }
  throw new Error('expected the promise to reject')
}

/** Stream timings for tests: reconnects in tens of ms, a watchdog well above the test's pauses. */
export const FAST_STREAM: StreamTuning = {
  backoff: { initialMs: 20, maxMs: 200 },
  watchdogMs: 3000,
  stableAfterMs: 150,
}

export interface StreamStack extends Stack {
  /** The emulator's stream gateway. */
  gw: StreamGateway
  readyz(): Promise<{ status: number; body: { ready: boolean; checks: Record<string, CheckResult> } }>
  /** Resolves once the bot holds exactly one open stream socket and says it is connected. */
  connected(timeoutMs?: number): Promise<void>
}

/**
 * Like `startStack`, with the bot on the stream transport (`DINGTALK_TRANSPORTS=stream` unless
 * `env` says otherwise). `before` runs before the bot starts, to set up faults; the stream starts
 * when the server listens. Waits for the connection unless `waitConnected` is false.
 */
export async function startStreamStack(
  t: { teardown(fn: () => unknown): void },
  opts: {
    env?: Record<string, string>
    tuning?: Partial<Tuning>
    stream?: Partial<StreamTuning>
    gateway?: EmulatorOptions['stream']
    before?: (emu: DingTalkEmulator) => void
    waitConnected?: boolean
    store?: Store
    emulator?: Partial<EmulatorOptions>
  } = {},
): Promise<StreamStack> {
  const base = await startStack(t, {
    ...(opts.emulator ? { emulator: opts.emulator } : {}),
    env: { DINGTALK_TRANSPORTS: 'stream', ...opts.env },
    ...(opts.store ? { store: opts.store } : {}),
    tuning: { stream: { ...FAST_STREAM, ...opts.stream }, ...opts.tuning },
    ...(opts.gateway ? { gateway: opts.gateway } : {}),
    ...(opts.before ? { before: opts.before } : {}),
  })
  const { app, url } = base
  const gw = base.emu.stream
  const stack: StreamStack = {
    ...base,
    gw,
    async readyz() {
      const res = await fetch(`${url}/readyz`)
      return {
        status: res.status,
        body: (await res.json()) as { ready: boolean; checks: Record<string, CheckResult> },
      }
    },
    connected: (timeoutMs = 5000) =>
      waitFor(
        () => gw.openSockets === 1 && app.stream?.status().state === 'connected',
        timeoutMs,
        'stream connected',
      ),
  }
  if (opts.waitConnected !== false) await stack.connected()
  return stack
}

/**
 * A bare StreamTransport whose port is `handle`, against a fresh emulator (no bot, no app); both
 * closed when the test ends. Not started: the test decides when.
 */
export async function streamTransport(
  t: { teardown(fn: () => unknown): void },
  handle: InboundPort['handle'],
  over: Partial<StreamTransportOptions> = {},
  keep: InboundPort['keep'] = async () => true,
) {
  const emu = await DingTalkEmulator.start({ clientId: CLIENT_ID, clientSecret: SECRET, meetings: [] })
  const { log, capture } = captureLogger()
  const stream = new StreamTransport({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    apiBase: emu.baseUrl,
    port: {
      handle,
      keep,
      event: async () => 'ignored',
      cardAction: async () => ({ outcome: 'ignored' }),
      busy: () => false,
    },
    log,
    ...FAST_STREAM,
    ...over,
  })
  t.teardown(async () => {
    await stream.stop()
    await emu.close()
  })
  return { emu, gw: emu.stream, stream, capture }
}
