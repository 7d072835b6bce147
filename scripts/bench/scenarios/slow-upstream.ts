import { setTimeout as sleep } from 'node:timers/promises'
import { extraRoom } from '../lib/emulator-protocol.js'
import { type LoadResult, load } from '../lib/load.js'
import { robotMessage, signedHeaders } from '../lib/payload.js'
import type { BotProcess } from '../lib/processes.js'
import { type BenchContext, ms, type ScenarioResult, target } from '../lib/report.js'
import { ratio, round } from '../lib/stats.js'

/** An ended meeting: its cached answer stays fresh for 30 s (room list), long enough for both phases. */
const CACHED_ROOM = '427212345'
const CACHED_TITLE = 'Quarterly planning'
const SLOW_MS = 2000
/** Cached questions per second (open loop, well under the bot's capacity: this is about latency). */
const CACHED_RATE = 200
/** New (uncached) room codes asked per second while the upstream is slow: about 20 in flight at once. */
const UNCACHED_RATE = 10

/**
 * Scenario 5: the conference APIs answer in 2 s. Cached questions at a fixed rate, first alone,
 * then with uncached questions (new room codes) hanging on the slow upstream; same rate, same
 * duration. No head-of-line blocking means the cached latency stays put (a cached question stuck
 * behind a slow one would take 2,000 ms).
 */
export async function slowUpstreamScenario(
  ctx: BenchContext,
  bot: BotProcess,
  phaseS = 4,
): Promise<ScenarioResult> {
  const t0 = performance.now()
  const post = (text: string, isAdmin = false) => {
    const payload = robotMessage({ text, oapiBase: ctx.emu.baseUrl, isAdmin })
    return {
      session: new URL(payload.sessionWebhook).searchParams.get('session') as string,
      response: fetch(`${bot.url}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(ctx.secret),
        body: JSON.stringify(payload),
      }).then((r) => r.text()),
    }
  }
  // A fresh cache entry for the cached room (an admin clears it, one question fills it again).
  await post(`/cache clear ${CACHED_ROOM}`, true).response
  const warm = await post(`meeting ${CACHED_ROOM}`).response
  if (!warm.includes(CACHED_TITLE)) throw new Error(`slow-upstream warm-up answered: ${warm}`)
  const cached = (durationS = phaseS) =>
    load({
      url: `${bot.url}/dingtalk/callback`,
      connections: 8,
      durationS,
      overallRate: CACHED_RATE,
      secret: ctx.secret,
      body: () => JSON.stringify(robotMessage({ text: `meeting ${CACHED_ROOM}`, oapiBase: ctx.emu.baseUrl })),
      expect: CACHED_TITLE,
    })
  // Unrecorded: whatever the previous scenario left behind (GC, WAL checkpoints) settles first.
  await cached(2)
  ctx.log(`slow upstream: cached questions alone, ${phaseS} s`)
  const alone: LoadResult = await cached()
  for (const api of ['conference.byRoomCode', 'conference.info'] as const) {
    await ctx.emu.call({ cmd: 'fail', target: api, fault: { delayMs: SLOW_MS, times: 10_000 } })
  }
  ctx.log(`slow upstream: cached questions with slow uncached ones in flight, ${phaseS} s`)
  const sessions: string[] = []
  let inlineEmpty = 0
  let stop = false
  const uncached = (async () => {
    for (let i = 1; !stop; i++) {
      const p = post(`meeting ${extraRoom(i)}`)
      sessions.push(p.session)
      void p.response.then((text) => {
        if (text.includes('"empty"')) inlineEmpty++
      })
      await sleep(1000 / UNCACHED_RATE)
    }
  })()
  await sleep(SLOW_MS) // let the slow ones pile up first
  const withSlow: LoadResult = await cached()
  stop = true
  await uncached
  // Every slow question still gets its answer, by session webhook once the inline wait is over.
  const deadline = Date.now() + 3 * SLOW_MS + 5000
  let answered = 0
  while (Date.now() < deadline) {
    answered = await ctx.emu.call<number>({ cmd: 'repliesFor', sessions })
    if (answered >= sessions.length) break
    await sleep(100)
  }
  await ctx.emu.call({ cmd: 'clearFaults' })
  const p50 = ratio(withSlow.latencyMs.p50, alone.latencyMs.p50)
  const p99 = ratio(withSlow.latencyMs.p99, alone.latencyMs.p99)
  return {
    name: 'slow-upstream',
    title: `Slow upstream (${SLOW_MS} ms), cached questions at ${CACHED_RATE}/s`,
    rows: [
      [
        'cached p50 alone → with slow',
        `${ms(alone.latencyMs.p50)} → ${ms(withSlow.latencyMs.p50)} = ${p50}×`,
      ],
      [
        'cached p99 alone → with slow',
        `${ms(alone.latencyMs.p99)} → ${ms(withSlow.latencyMs.p99)} = ${p99}×`,
      ],
      [
        'slow questions',
        `${sessions.length} asked (~${(UNCACHED_RATE * SLOW_MS) / 1000} in flight), ${answered} answered by webhook`,
      ],
    ],
    targets: [
      target('slow upstream: cached p99 with / without slow questions', p99, '<=', 3, '×'),
      target(
        'slow upstream: cached max latency with slow questions',
        withSlow.latencyMs.max,
        '<',
        SLOW_MS / 2,
        'ms',
      ),
      target('slow upstream: slow questions answered', answered, '==', sessions.length),
    ],
    data: {
      slowMs: SLOW_MS,
      cachedRatePerS: CACHED_RATE,
      uncachedRatePerS: UNCACHED_RATE,
      alone,
      withSlow,
      p50Ratio: p50,
      p99Ratio: p99,
      slowAsked: sessions.length,
      slowAnsweredByWebhook: answered,
      slowInlineEmpty: inlineEmpty,
    },
    seconds: round((performance.now() - t0) / 1000, 1),
  }
}
