import type { StreamResult } from '../lib/emulator-protocol.js'
import { type BotProcess, scrape } from '../lib/processes.js'
import { type BenchContext, ms, perSecond, type ScenarioResult, target } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { CACHED_ROOM, CACHED_TITLE } from './http.js'

export const STREAM_FRAMES = 5000
export const STREAM_BATCH = 50
/** Frames the sender keeps un-acked at most (see the scenario's comment). */
export const STREAM_WINDOW = 100

/**
 * Scenario 2: 5,000 robot frames through the emulator's stream gateway to the bot's one stream
 * connection, sent as fast as the sender can write them while respecting the socket: batches of
 * 50 frames, a yield to the event loop after each (so acks are read as they come, not after the
 * whole burst), and a wait while the socket's write buffer is not empty (backpressure). Every
 * frame must be acked once and answered once (by session webhook, counted per frame's session).
 */
export async function streamScenario(
  ctx: BenchContext,
  bot: BotProcess,
  opts: { frames?: number; burstToo?: boolean } = {},
): Promise<ScenarioResult> {
  const t0 = performance.now()
  const frames = opts.frames ?? STREAM_FRAMES
  await ctx.emu.call({ cmd: 'waitForStream', timeoutMs: 10_000 })
  const run = (mode: 'paced' | 'burst', n: number) =>
    ctx.emu.call<StreamResult>({
      cmd: 'stream',
      frames: n,
      text: `meeting ${CACHED_ROOM}`,
      batch: STREAM_BATCH,
      window: STREAM_WINDOW,
      mode,
      expect: CACHED_TITLE,
      timeoutMs: 60_000,
      settleMs: 1000,
    })
  ctx.log(`stream: warm-up 200 frames`)
  await run('paced', 200)
  ctx.log(`stream: ${frames} frames, paced`)
  await scrape(bot.url) // resets the bot's event-loop-lag histogram
  const r = await run('paced', frames)
  const m = await scrape(bot.url)
  const botLoopLagMs = {
    p99: round((m.meetingbot_nodejs_eventloop_lag_p99_seconds ?? Number.NaN) * 1000),
    max: round((m.meetingbot_nodejs_eventloop_lag_max_seconds ?? Number.NaN) * 1000),
  }
  let burst: StreamResult | undefined
  if (opts.burstToo) {
    ctx.log(`stream: ${frames} frames, one synchronous burst (informational)`)
    burst = await run('burst', frames)
  }
  const ackRate = round((r.acked / r.ackedMs) * 1000, 1)
  const answerRate = round((r.answeredOnce / r.answeredMs) * 1000, 1)
  const rows: Array<readonly [string, string]> = [
    ['frames acked / answered once', `${r.acked} / ${r.answeredOnce} of ${r.frames}`],
    [
      'twice answered / unanswered / dup acks',
      `${r.answeredTwiceOrMore} / ${r.unanswered} / ${r.duplicateAcks}`,
    ],
    ['ack rate, answer rate', `${perSecond(ackRate)} acked, ${perSecond(answerRate)} answered (webhook)`],
    [
      'ack latency p50 / p99',
      `${ms(r.ackLatencyMs.p50)} / ${ms(r.ackLatencyMs.p99)} (max ${ms(r.ackLatencyMs.max)})`,
    ],
    [
      'event-loop delay p99 (max)',
      `bot ${ms(botLoopLagMs.p99)} (${ms(botLoopLagMs.max)}), emulator ${ms(r.emulatorLoopDelayMs.p99)} (${ms(r.emulatorLoopDelayMs.max)})`,
    ],
  ]
  if (burst) {
    rows.push([
      'one-burst ack p50 / p99 (info)',
      `${ms(burst.ackLatencyMs.p50)} / ${ms(burst.ackLatencyMs.p99)}, answered once ${burst.answeredOnce}`,
    ])
  }
  return {
    name: 'stream',
    title: `Stream mode, ${frames} frames through the gateway`,
    rows,
    targets: [
      target('stream frames acked', r.acked, '==', frames),
      target('stream frames answered exactly once', r.answeredOnce, '==', frames),
      target(
        'stream frames answered twice or with the wrong text',
        r.answeredTwiceOrMore + r.wrongAnswers,
        '==',
        0,
      ),
      target('stream ack latency p99', r.ackLatencyMs.p99, '<', 50, 'ms'),
    ],
    data: {
      paced: r,
      ackRatePerS: ackRate,
      answerRatePerS: answerRate,
      botLoopLagMs,
      ...(burst ? { burst } : {}),
    },
    seconds: round((performance.now() - t0) / 1000, 1),
  }
}
