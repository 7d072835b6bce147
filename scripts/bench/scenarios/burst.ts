import { readFileSync } from 'node:fs'
import type { StreamResult } from '../lib/emulator-protocol.js'
import { startBot } from '../lib/processes.js'
import { type BenchContext, ms, perSecond, type ScenarioResult, target } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { CACHED_ROOM, CACHED_TITLE } from './http.js'

export const BURST_FRAMES = 30_000

/** The peak resident set size of a process (VmHWM), in MiB: Linux only. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? round(Number(m[1]) / 1024, 1) : Number.NaN
}

/**
 * Scenario 6: a fresh bot gets 30,000 robot frames in one synchronous burst through the gateway
 * (DingTalk re-pushing what is not acked within 2 s, as it does). Every frame is kept in the
 * inbox before its ack; over BOT_MAX_PENDING the bot stops reading the socket. Every message
 * must be answered exactly once, and the bot's peak RSS must stay bounded.
 */
export async function burstScenario(
  ctx: BenchContext,
  opts: { frames?: number } = {},
): Promise<ScenarioResult> {
  const t0 = performance.now()
  const frames = opts.frames ?? BURST_FRAMES
  const bot = await startBot(ctx.emu.baseUrl, ctx.secret, { inspect: true })
  try {
    await ctx.emu.call({ cmd: 'waitForStream', timeoutMs: 10_000 })
    ctx.log(`burst: ${frames} frames in one burst`)
    const r = await ctx.emu.call<StreamResult>({
      cmd: 'stream',
      frames,
      text: `meeting ${CACHED_ROOM}`,
      batch: frames,
      window: frames,
      mode: 'burst',
      expect: CACHED_TITLE,
      timeoutMs: 180_000,
      settleMs: 2000,
    })
    const peak = peakRssMiB(bot.pid)
    // What is alive once the burst is through (after a full GC): the peak is garbage, not data.
    const after = await bot.memory()
    const answerRate = round((r.answeredOnce / r.answeredMs) * 1000, 1)
    return {
      name: 'burst',
      title: `Stream, ${frames.toLocaleString('en-US')} frames in one burst on a fresh bot`,
      rows: [
        ['frames acked / answered once', `${r.acked} / ${r.answeredOnce} of ${r.frames}`],
        ['twice answered / unanswered', `${r.answeredTwiceOrMore} / ${r.unanswered}`],
        ['re-pushed by the gateway (not acked in 2 s)', String(r.redelivered)],
        ['all answered after', ms(r.answeredMs)],
        ['answer rate', perSecond(answerRate)],
        ['ack latency p50 / p99 (info)', `${ms(r.ackLatencyMs.p50)} / ${ms(r.ackLatencyMs.p99)}`],
        ['bot peak RSS (VmHWM)', `${peak} MiB`],
        ['heap used after, full GC (info)', `${round(after.heapUsed / 1048576, 1)} MiB`],
      ],
      targets: [
        target('burst frames answered exactly once', r.answeredOnce, '==', frames),
        target(
          'burst frames answered twice or with the wrong text',
          r.answeredTwiceOrMore + r.wrongAnswers,
          '==',
          0,
        ),
        target('burst bot peak RSS', peak, '<', 250, 'MiB'),
      ],
      data: {
        result: r,
        peakRssMiB: peak,
        heapUsedAfterMiB: round(after.heapUsed / 1048576, 1),
        answerRatePerS: answerRate,
      },
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await bot.stop()
  }
}
