import { type LoadResult, load, mergeRounds } from '../lib/load.js'
import { robotMessage, signedHeaders } from '../lib/payload.js'
import { type BotProcess, cpuSeconds, startBaseline } from '../lib/processes.js'
import { type BenchContext, ms, perSecond, type ScenarioResult, target } from '../lib/report.js'
import { ratio, round } from '../lib/stats.js'

export const CACHED_ROOM = '615902734'
export const CACHED_TITLE = 'Sprint 43 retrospective'
const CONNECTIONS = 32

/** One signed callback to the bot; its answer text, which must be 2xx and contain `expect`. */
export async function askOnce(botUrl: string, secret: string, body: string, expect: string): Promise<string> {
  const res = await fetch(`${botUrl}/dingtalk/callback`, {
    method: 'POST',
    headers: signedHeaders(secret),
    body,
  })
  const text = await res.text()
  if (!res.ok || !text.includes(expect))
    throw new Error(`answer unexpected: ${res.status} ${text.slice(0, 300)}`)
  return text
}

/** Asks the bot once (so the meeting is cached) and returns its answer, the baseline's fixed reply. */
export function warmAnswer(ctx: BenchContext, bot: BotProcess): Promise<string> {
  const body = JSON.stringify(robotMessage({ text: `meeting ${CACHED_ROOM}`, oapiBase: ctx.emu.baseUrl }))
  return askOnce(bot.url, ctx.secret, body, CACHED_TITLE)
}

/**
 * Scenario 1: signed callbacks with unique msgIds asking for a cached meeting, 32 connections,
 * against the bot and a bare Fastify route, in rounds ordered base-bot-bot-base so slow drift in
 * the machine's load hits both alike.
 */
export async function httpScenario(ctx: BenchContext, bot: BotProcess, roundS = 5): Promise<ScenarioResult> {
  const t0 = performance.now()
  const fixed = await warmAnswer(ctx, bot)
  const baseline = await startBaseline(fixed)
  try {
    const body = () =>
      JSON.stringify(robotMessage({ text: `meeting ${CACHED_ROOM}`, oapiBase: ctx.emu.baseUrl }))
    const run = (url: string, durationS: number, sign: boolean) =>
      load({
        url: `${url}/dingtalk/callback`,
        connections: CONNECTIONS,
        durationS,
        body,
        expect: CACHED_TITLE,
        ...(sign ? { secret: ctx.secret } : {}),
      })
    ctx.log('http: warm-up (2 s each)')
    await run(baseline.url, 2, false)
    await run(bot.url, 2, true)
    const rounds: Array<{ who: 'baseline' | 'bot'; result: LoadResult; cpuS: number }> = []
    for (const who of ['baseline', 'bot', 'bot', 'baseline'] as const) {
      ctx.log(`http: ${who} ${roundS} s`)
      const pid = who === 'bot' ? bot.pid : baseline.pid
      const cpu0 = cpuSeconds(pid)
      const result = await run(who === 'bot' ? bot.url : baseline.url, roundS, who === 'bot')
      rounds.push({ who, result, cpuS: cpuSeconds(pid) - cpu0 })
    }
    const cpuPerRequestUs = (who: 'baseline' | 'bot') => {
      const rs = rounds.filter((r) => r.who === who)
      const cpu = rs.reduce((a, r) => a + r.cpuS, 0)
      return round((cpu / rs.reduce((a, r) => a + r.result.requests, 0)) * 1e6, 1)
    }
    const b = {
      ...mergeRounds(rounds.filter((r) => r.who === 'bot').map((r) => r.result)),
      cpuUs: cpuPerRequestUs('bot'),
    }
    const base = {
      ...mergeRounds(rounds.filter((r) => r.who === 'baseline').map((r) => r.result)),
      cpuUs: cpuPerRequestUs('baseline'),
    }
    const tput = ratio(b.rps, base.rps)
    const p99 = ratio(b.p99, base.p99)
    return {
      name: 'http',
      title: `HTTP callback, cached meeting, ${CONNECTIONS} connections`,
      rows: [
        ['bot throughput', `${perSecond(b.rps)} (bare Fastify ${perSecond(base.rps)}) = ${tput}×`],
        ['bot latency p50', `${ms(b.p50)} (bare ${ms(base.p50)})`],
        ['bot latency p99', `${ms(b.p99)} (bare ${ms(base.p99)}) = ${p99}×`],
        ['CPU per request (info)', `${b.cpuUs} µs (bare ${base.cpuUs} µs) = ${ratio(b.cpuUs, base.cpuUs)}×`],
        ['errors', `non-2xx ${b.non2xx}, socket ${b.errors}, not the card ${b.unexpected}`],
      ],
      targets: [
        target('http throughput vs bare Fastify', tput, '>=', 0.5, '×'),
        target('http p99 latency vs bare Fastify', p99, '<=', 3, '×'),
        target('http answers that are not the card or not 2xx', b.non2xx + b.errors + b.unexpected, '==', 0),
      ],
      data: {
        connections: CONNECTIONS,
        roundSeconds: roundS,
        bot: b,
        baseline: base,
        throughputRatio: tput,
        p99Ratio: p99,
        cpuRatio: ratio(b.cpuUs, base.cpuUs),
        rounds: rounds.map((r) => ({ who: r.who, cpuSeconds: round(r.cpuS), ...r.result })),
      },
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await baseline.stop()
  }
}
