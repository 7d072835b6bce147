import { type LoadResult, load, mergeRounds } from '../lib/load.js'
import { robotMessage } from '../lib/payload.js'
import { type BotProcess, cpuSeconds, EmulatorProcess, startBot } from '../lib/processes.js'
import { type BenchContext, ms, perSecond, type ScenarioResult, target } from '../lib/report.js'
import { ratio, round } from '../lib/stats.js'
import { askOnce } from './http.js'

export const ISV_ORGS = 50
const CONNECTIONS = 32
/** Every generated org has a meeting with this room code, titled `Org <i> weekly sync`. */
const SHARED_ROOM = '500600700'

const corpOf = (i: number) => `dingcorpGen${String(i).padStart(4, '0')}`
const titleOf = (i: number) => `Org ${i} weekly sync`

function merge(rs: LoadResult[], cpuS: number) {
  const m = mergeRounds(rs)
  return { ...m, cpuUs: round((cpuS / m.requests) * 1e6, 1), bad: m.non2xx + m.errors + m.unexpected }
}

/**
 * Scenario 9: a third-party (ISV) deployment serving 50 orgs. The bot runs with
 * `DINGTALK_APP_TYPE=isv` against an emulator with 50 generated orgs (its own process); every org
 * has room 500600700 with its own title. Each org is asked once (its corp token, its meeting
 * cached), then signed callbacks with unique msgIds ask for it at 32 connections: from one org
 * only, or from all 50 in turn, in rounds ordered one-fifty-fifty-one twice. Every answer must be the
 * asking org's own card. The target: 50 orgs active cost no throughput beyond the noise (the
 * one-org rounds alone are up to 15% apart here; docs/benchmarks.md, scenario 9).
 */
export async function isvScenario(ctx: BenchContext, roundS = 4): Promise<ScenarioResult> {
  const t0 = performance.now()
  const emu = await EmulatorProcess.start(ctx.secret, { BENCH_ISV_ORGS: String(ISV_ORGS) })
  let bot: BotProcess | undefined
  try {
    // /readyz answers 200 once the suite ticket has come over Stream.
    bot = await startBot(emu.baseUrl, ctx.secret, { env: { DINGTALK_APP_TYPE: 'isv' } })
    const url = bot.url
    const ask = (i: number) => ({
      body: JSON.stringify(
        robotMessage({ text: `meeting ${SHARED_ROOM}`, oapiBase: emu.baseUrl, corpId: corpOf(i) }),
      ),
      expect: titleOf(i),
    })
    ctx.log(`isv: one question from each of ${ISV_ORGS} orgs`)
    for (let i = 1; i <= ISV_ORGS; i++) {
      const { body, expect } = ask(i)
      await askOnce(url, ctx.secret, body, expect).catch((err: Error) => {
        throw new Error(`isv warm-up, ${corpOf(i)}: ${err.message}`)
      })
    }
    const warm = await emu.call<Record<string, Record<string, number>>>({ cmd: 'isvCalls' })
    const tokensPerOrg = Array.from({ length: ISV_ORGS }, (_, k) => warm[corpOf(k + 1)]?.['corp.token'] ?? 0)
    await emu.call({ cmd: 'resetCounters' })

    let next = 0
    const run = (orgs: number, durationS: number) =>
      load({
        url: `${url}/dingtalk/callback`,
        connections: CONNECTIONS,
        durationS,
        request: () => ask((next++ % orgs) + 1),
        secret: ctx.secret,
      })
    ctx.log('isv: warm-up (2 s each)')
    await run(1, 2)
    await run(ISV_ORGS, 2)
    const rounds: Array<{ orgs: number; result: LoadResult; cpuS: number }> = []
    for (const orgs of [1, ISV_ORGS, ISV_ORGS, 1, 1, ISV_ORGS, ISV_ORGS, 1]) {
      ctx.log(`isv: ${orgs === 1 ? 'one org' : `${orgs} orgs`} ${roundS} s`)
      const cpu0 = cpuSeconds(bot.pid)
      const result = await run(orgs, roundS)
      rounds.push({ orgs, result, cpuS: cpuSeconds(bot.pid) - cpu0 })
    }
    const of = (orgs: number) => {
      const rs = rounds.filter((r) => r.orgs === orgs)
      return merge(
        rs.map((r) => r.result),
        rs.reduce((a, r) => a + r.cpuS, 0),
      )
    }
    const one = of(1)
    const many = of(ISV_ORGS)
    const tput = ratio(many.rps, one.rps)
    // The same build and load in every one-org round: how far apart they are is the noise.
    const ones = rounds.filter((r) => r.orgs === 1).map((r) => r.result.rps)
    const noise = ratio(Math.min(...ones), Math.max(...ones))
    const during = await emu.call<Record<string, Record<string, number>>>({ cmd: 'isvCalls' })
    const upstream = Object.values(during).reduce(
      (a, apis) => a + Object.values(apis).reduce((x, n) => x + n, 0),
      0,
    )
    const minTokens = Math.min(...tokensPerOrg)
    const maxTokens = Math.max(...tokensPerOrg)
    return {
      name: 'isv',
      title: `Third-party app, ${ISV_ORGS} orgs, cached meeting, ${CONNECTIONS} connections`,
      rows: [
        ['throughput, 50 orgs', `${perSecond(many.rps)} (one org ${perSecond(one.rps)}) = ${tput}×`],
        ['one-org rounds apart (noise)', `${noise}×`],
        ['latency p50', `${ms(many.p50)} (one org ${ms(one.p50)})`],
        ['latency p99', `${ms(many.p99)} (one org ${ms(one.p99)}) = ${ratio(many.p99, one.p99)}×`],
        ['CPU per request (info)', `${many.cpuUs} µs (one org ${one.cpuUs} µs)`],
        ['corp tokens per org (warm-up)', `${minTokens} to ${maxTokens}`],
        ['upstream calls during the load', `${upstream} (cache refreshes, each with its org's token)`],
        ['answers not the org’s own card or not 2xx', String(many.bad + one.bad)],
      ],
      targets: [
        target('isv throughput, 50 orgs vs one', tput, '>=', 0.8, '×'),
        target('isv answers not the asking org’s card', many.bad + one.bad, '==', 0),
        target('isv corp tokens per org (max)', maxTokens, '==', 1),
        target('isv orgs without a token', tokensPerOrg.filter((n) => n === 0).length, '==', 0),
      ],
      data: {
        orgs: ISV_ORGS,
        connections: CONNECTIONS,
        roundSeconds: roundS,
        oneOrg: one,
        fiftyOrgs: many,
        throughputRatio: tput,
        oneOrgRoundsRatio: noise,
        tokensPerOrg,
        upstreamDuringLoad: during,
        rounds: rounds.map((r) => ({ orgs: r.orgs, cpuSeconds: round(r.cpuS), ...r.result })),
      },
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await bot?.stop()
    await emu.stop()
  }
}
