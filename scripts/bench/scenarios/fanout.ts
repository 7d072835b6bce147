import { extraRoom } from '../lib/emulator-protocol.js'
import { robotMessage, signedHeaders } from '../lib/payload.js'
import { startBot } from '../lib/processes.js'
import { type BenchContext, type ScenarioResult, target } from '../lib/report.js'
import { round, summarize } from '../lib/stats.js'

export const FANOUT_ASKS = 200

/**
 * Scenario 3: a fresh bot process (no token, nothing cached) gets 200 concurrent HTTP callbacks
 * (200 sockets) asking for one room code nobody asked before. The emulator counts the upstream
 * calls: single-flight token and lookups should make it one token call and two conference calls.
 */
export async function fanoutScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now()
  const room = extraRoom(0)
  const bot = await startBot(ctx.emu.baseUrl, ctx.secret)
  try {
    await ctx.emu.call({ cmd: 'resetCounters' })
    ctx.log(`fan-out: ${FANOUT_ASKS} concurrent asks for room ${room} on a fresh bot`)
    const bodies = Array.from({ length: FANOUT_ASKS }, () =>
      JSON.stringify(robotMessage({ text: `meeting ${room}`, oapiBase: ctx.emu.baseUrl })),
    )
    const results = await Promise.all(
      bodies.map(async (body) => {
        const started = performance.now()
        const res = await fetch(`${bot.url}/dingtalk/callback`, {
          method: 'POST',
          headers: signedHeaders(ctx.secret),
          body,
        })
        const text = await res.text()
        return { ok: res.ok && text.includes('Bench room 0'), ms: performance.now() - started }
      }),
    )
    const { calls } = await ctx.emu.counts()
    const token = calls.token ?? 0
    const byRoomCode = calls['conference.byRoomCode'] ?? 0
    const info = calls['conference.info'] ?? 0
    const answered = results.filter((r) => r.ok).length
    const latency = summarize(results.map((r) => r.ms))
    return {
      name: 'fanout',
      title: `Cold fan-out, ${FANOUT_ASKS} concurrent asks for one new room code`,
      rows: [
        [
          'upstream calls',
          `token ${token}, conference ${byRoomCode + info} (byRoomCode ${byRoomCode}, info ${info})`,
        ],
        ['answered with the card', `${answered} of ${FANOUT_ASKS}`],
        ['latency p50 / max', `${latency.p50.toFixed(1)} ms / ${latency.max.toFixed(1)} ms`],
      ],
      targets: [
        target('fan-out token calls', token, '<=', 1),
        target('fan-out conference API calls', byRoomCode + info, '<=', 2),
        target('fan-out asks answered with the card', answered, '==', FANOUT_ASKS),
      ],
      data: { asks: FANOUT_ASKS, room, calls, answered, latencyMs: latency },
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await bot.stop()
  }
}
