import { setTimeout as sleep } from 'node:timers/promises'
import {
  CARD_ROOMS,
  type CardStats,
  type ChurnResult,
  cardRoom,
  type EventCounts,
} from '../lib/emulator-protocol.js'
import { load } from '../lib/load.js'
import { robotMessage, signedHeaders } from '../lib/payload.js'
import { type BotProcess, cpuSeconds, scrape, startBot } from '../lib/processes.js'
import type { BenchContext, ScenarioResult } from '../lib/report.js'
import { round } from '../lib/stats.js'
import { CACHED_ROOM, CACHED_TITLE } from './http.js'
import { callsBetween, type LiveCardsSettings, liveCardsResult, type Probe } from './livecards-report.js'

const CHATS_PER_MEETING = 5
const CARDS = CARD_ROOMS * CHATS_PER_MEETING
/** `BOT_CARD_UPDATE_MS`: the default. */
const UPDATE_MS = 10_000
/** `BOT_WATCH_POLL_MS`, short so the window sees several polls per meeting. */
const POLL_MS = 2000
/** While meeting events arrive, a meeting in progress is polled every 10 × POLL_MS (watch/schedule.ts). */
const POLL_MS_WITH_EVENTS = 10 * POLL_MS
const WINDOW_MS = 60_000
/** Each meeting changes (someone joins or leaves) this often: 100 meetings, 50 member events a second. */
const CHANGE_EVERY_MS = 2000
const IN_MEETING = 4
/** The answer-path probe: open loop (fixed rate), so its latency shows the bot's stalls, not a queue. */
const PROBE = { connections: 8, rate: 200, seconds: 5 }
/**
 * While the cards are live the probe runs from 12 s (after the first round of updates) for 45 s:
 * three or four of the engine's big rounds (every card due in one pass, about every 12.5 s), so
 * its tail does not depend on whether a short probe happened to meet one.
 */
const LIVE_PROBE = { atMs: 12_000, seconds: 45 }
/**
 * The bound is kept by the bot's clock when it decides to send; the emulator times the arrival,
 * so two updates may land a little closer than sent (seen: up to 30 ms, with 300 to 400 updates
 * a second going out). A coalescing fault would show as a gap of one pass (2.5 s) or less.
 */
const GAP_SLACK_MS = 100
/** `DINGTALK_API_QPS` (per API): high, so the engine's own pace shows; BENCH_CARD_QPS=18 for the default. */
const QPS = Number(process.env.BENCH_CARD_QPS ?? 1000)
const SETTINGS: LiveCardsSettings = {
  cards: CARDS,
  meetings: CARD_ROOMS,
  chatsPerMeeting: CHATS_PER_MEETING,
  updateMs: UPDATE_MS,
  pollMs: POLL_MS,
  pollMsWithEvents: POLL_MS_WITH_EVENTS,
  changeEveryMs: CHANGE_EVERY_MS,
  windowMs: WINDOW_MS,
  apiQps: QPS,
  gapSlackMs: GAP_SLACK_MS,
  // A live card's work must not show in the answers: p99 at most twice what it was before any
  // card (both over ~1,200 answers on this noisy 2-core VM; docs/benchmarks.md, scenario 8).
  p99RatioBound: 2,
}
const SPACE = 'cidCardBench'
const conversationOf = (room: number, chat: number) => `${SPACE}${room}x${chat}==`

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

/**
 * The meeting answer without a card, through the same lookup and markdown card as scenario 1: a
 * one-to-one message from someone without a staff id (an interactive card needs one there).
 */
function markdownAsk(oapiBase: string): string {
  const p: Record<string, unknown> = {
    ...robotMessage({ text: `meeting ${CACHED_ROOM}`, oapiBase, group: false }),
  }
  delete p.senderStaffId
  return JSON.stringify(p)
}

/** Markdown answers at a fixed rate, and the bot's event-loop delay meanwhile (its histogram resets per scrape). */
async function probe(ctx: BenchContext, bot: BotProcess, seconds = PROBE.seconds): Promise<Probe> {
  await scrape(bot.url)
  const cpu0 = cpuSeconds(bot.pid)
  const r = await load({
    url: `${bot.url}/dingtalk/callback`,
    connections: PROBE.connections,
    durationS: seconds,
    overallRate: PROBE.rate,
    body: () => markdownAsk(ctx.emu.baseUrl),
    secret: ctx.secret,
    expect: CACHED_TITLE,
  })
  const cpuS = cpuSeconds(bot.pid) - cpu0
  const m = await scrape(bot.url)
  const lagMs = (name: string) =>
    round((m[`meetingbot_nodejs_eventloop_lag_${name}_seconds`] ?? Number.NaN) * 1000)
  return { ...r, cpuS, loopLagMs: { p99: lagMs('p99'), max: lagMs('max') } }
}

/**
 * Scenario 8: 500 live cards, 5 chats asking about each of 100 meetings in progress
 * (`DINGTALK_CARD_TEMPLATE_ID` set, `BOT_CARD_UPDATE_MS` 10 s). For 60 s someone joins or leaves
 * each meeting every 2 s (member events): the card updates the emulator receives per minute and
 * per card, the shortest gap between two updates of one card, the conference calls per meeting
 * (one poll per meeting however many cards show it), the bot's CPU. Meanwhile, markdown meeting
 * answers at a fixed rate against the same before any card existed. Then every meeting ends:
 * each card frozen exactly once, nothing after.
 */
export async function liveCardsScenario(
  ctx: BenchContext,
  /** `nodeArgs` for the bot, to investigate (e.g. `--cpu-prof`). */
  opts: { nodeArgs?: string[] } = {},
): Promise<ScenarioResult> {
  const t0 = performance.now()
  const bot = await startBot(ctx.emu.baseUrl, ctx.secret, {
    ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
    env: {
      DINGTALK_CARD_TEMPLATE_ID: 'bench-meeting-card.schema',
      BOT_CARD_UPDATE_MS: String(UPDATE_MS),
      BOT_WATCH_POLL_MS: String(POLL_MS),
      // The scenario measures the cards, not the quota guard or the QPS budget.
      BOT_MONTHLY_API_QUOTA: '100000000',
      DINGTALK_API_QPS: String(QPS),
    },
  })
  const rooms = Array.from({ length: CARD_ROOMS }, (_, i) => cardRoom(i))
  const stats = (from: number, to: number) =>
    ctx.emu.call<CardStats>({ cmd: 'cardStats', spacePrefix: SPACE, from, to, boundMs: UPDATE_MS })
  // At a low QPS budget the cards' creation and freeze are paced by it.
  const pacedMs = (CARDS / QPS) * 1000
  const waitUntil = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`livecards: timed out waiting for ${what}`)
      await sleep(250)
    }
  }
  try {
    await ctx.emu.call({ cmd: 'waitForStream', timeoutMs: 10_000 })
    await ctx.emu.call({ cmd: 'setEvents', on: true })

    ctx.log(`livecards: the answer path before any card (${PROBE.rate}/s for ${PROBE.seconds} s)`)
    await probe(ctx, bot, 2)
    const before = await probe(ctx, bot)

    ctx.log(`livecards: ${CARDS} cards (${CHATS_PER_MEETING} chats ask about each of ${CARD_ROOMS} meetings)`)
    const created0 = await ctx.emu.counts()
    const createT = performance.now()
    const asks = rooms.flatMap((room, i) =>
      Array.from({ length: CHATS_PER_MEETING }, (_, k) => ({ room, chat: conversationOf(i, k) })),
    )
    let answered = 0
    await pool(asks, 16, async ({ room, chat }) => {
      const body = JSON.stringify(
        robotMessage({ text: `meeting ${room}`, oapiBase: ctx.emu.baseUrl, conversationId: chat }),
      )
      const res = await fetch(`${bot.url}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(ctx.secret),
        body,
      })
      await res.text()
      if (res.ok) answered++
    })
    await waitUntil('the cards', async () => (await stats(0, 0)).instances >= CARDS, 30_000 + pacedMs)
    const createMs = performance.now() - createT
    const created1 = await ctx.emu.counts()
    const beforeWindow = await stats(0, 0)

    ctx.log(
      `livecards: ${WINDOW_MS / 1000} s of member events, each meeting every ${CHANGE_EVERY_MS / 1000} s`,
    )
    const w0 = await ctx.emu.counts()
    const events0 = await ctx.emu.call<EventCounts>({ cmd: 'events' })
    const cpu0 = cpuSeconds(bot.pid)
    const from = Date.now()
    const churning = ctx.emu.call<ChurnResult>(
      { cmd: 'churn', codes: rooms, periodMs: CHANGE_EVERY_MS, durationMs: WINDOW_MS, inMeeting: IN_MEETING },
      WINDOW_MS + 60_000,
    )
    await sleep(LIVE_PROBE.atMs)
    ctx.log(`livecards: the answer path while the cards are live (${LIVE_PROBE.seconds} s)`)
    const during = await probe(ctx, bot, LIVE_PROBE.seconds)
    const churned = await churning
    const to = Date.now()
    const windowCpu = cpuSeconds(bot.pid) - cpu0
    const w1 = await ctx.emu.counts()
    const events1 = await ctx.emu.call<EventCounts>({ cmd: 'events' })
    const inWindow = await stats(from, to)

    ctx.log(`livecards: ${CARD_ROOMS} meetings end`)
    const endT = performance.now()
    await ctx.emu.call({ cmd: 'timeline', action: 'end', codes: rooms })
    await waitUntil(
      'every card frozen',
      async () => {
        const s = await stats(0, 0)
        return s.frozenOnce + s.frozenMore >= CARDS
      },
      45_000 + pacedMs,
    )
    const freezeMs = performance.now() - endT
    // Meanwhile the card engine passes twice over the frozen cards: a late second freeze shows.
    ctx.log('livecards: the answer path after the freeze')
    const after = await probe(ctx, bot)
    const result = liveCardsResult({
      settings: SETTINGS,
      create: { ms: createMs, answered, calls: callsBetween(created0.calls, created1.calls) },
      beforeWindow,
      window: {
        ms: to - from,
        churn: churned,
        eventsAcked: events1.acked - events0.acked,
        stats: inWindow,
        calls: callsBetween(w0.calls, w1.calls),
        cpuS: windowCpu,
      },
      answers: { before, during, after },
      end: {
        freezeMs,
        stats: await stats(from, to),
        calls: callsBetween(w1.calls, (await ctx.emu.counts()).calls),
      },
    })
    return { ...result, seconds: round((performance.now() - t0) / 1000, 1) }
  } finally {
    await bot.stop()
  }
}
