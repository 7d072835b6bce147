import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { DingTalkEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js'
import { CLIENT_ID, fixtureMeetings, SECRET, waitFor } from './index.js'
import { type BotProcess, startReplica } from './process.js'
import { REDIS_URL, rawRedis, uniquePrefix } from './redis.js'
import { sessionOf } from './replicas.js'

export type Replica = Omit<BotProcess, 'emulatorUrl'> & {
  /** The id of this replica's stream connection at the emulator's gateway. */
  readonly connection: string
}

/**
 * Replicas as production runs them: real bot processes (the real entry point, real mode) against
 * one emulator of this test and one Redis, under a key prefix of their own that is deleted after.
 * Each holds one stream connection, so tests can push a frame to a chosen replica.
 */
export async function startCluster(
  t: { teardown(fn: () => unknown): void },
  opts: {
    replicas?: number
    env?: Record<string, string>
    gateway?: EmulatorOptions['stream']
    redisUrl?: string
    /** More emulator options (its ISV mode: `isv`). */
    emulator?: Partial<EmulatorOptions>
  } = {},
) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
    ...(opts.gateway ? { stream: opts.gateway } : {}),
    ...opts.emulator,
  })
  t.teardown(() => emu.close())
  const prefix = uniquePrefix('mbe2e')
  const redisUrl = opts.redisUrl ?? REDIS_URL
  const raw = rawRedis(t, `${prefix}:`, redisUrl)
  const env = {
    DINGTALK_CLIENT_ID: CLIENT_ID,
    DINGTALK_CLIENT_SECRET: SECRET,
    DINGTALK_API_BASE: emu.baseUrl,
    DINGTALK_OAPI_BASE: emu.baseUrl,
    DINGTALK_TRANSPORTS: 'stream,http',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    BOT_USER_RATE_LIMIT: '10000',
    ...opts.env,
  }
  const replicas: Replica[] = []
  for (let i = 0; i < (opts.replicas ?? 2); i++) {
    const before = new Set(emu.stream.liveConnections())
    const bot = await startReplica(t, env)
    await waitFor(() => emu.stream.openSockets === i + 1, 10_000, `replica ${i} stream connected`)
    const connection = emu.stream.liveConnections().find((c) => !before.has(c)) as string
    replicas.push({ ...bot, connection })
  }
  return { emu, raw, prefix, namespace: `${prefix}:${CLIENT_ID}:`, replicas, env }
}

/** Every reply a message got: in the HTTP response body (given) and at its session webhook. */
export function answersTo(
  emu: DingTalkEmulator,
  msg: RobotMessagePayload,
  inline: Map<string, Record<string, unknown>>,
): number {
  const body = inline.get(msg.msgId)
  const inlineAnswer = body && body.msgtype !== 'empty' ? 1 : 0
  return inlineAnswer + emu.replies.filter((r) => r.session === sessionOf(msg)).length
}

/** The log lines of `msg` across processes. */
export function logsOf(bots: Array<{ logs(): Array<Record<string, unknown>> }>, msg: string) {
  return bots.flatMap((b) => b.logs().filter((l) => l.msg === msg))
}
