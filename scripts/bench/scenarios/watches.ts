import { setTimeout as sleep } from 'node:timers/promises'
import { type EventCounts, type ReplyStats, WATCH_ROOMS, watchRoom } from '../lib/emulator-protocol.js'
import { robotMessage, signedHeaders } from '../lib/payload.js'
import { cpuSeconds, startBot } from '../lib/processes.js'
import { type BenchContext, type ScenarioResult, target } from '../lib/report.js'
import { round } from '../lib/stats.js'

/** Watches per chat (the default per-chat cap): 100 chats watch 10 meetings each. */
const PER_CHAT = 10
/** The poll interval of this scenario's bot: the lowest allowed is 1 s; 5 s keeps the emulator calm. */
const POLL_MS = 5000
/** The bot's default interval, to which the poller's cost is scaled. */
const DEFAULT_POLL_MS = 60_000
const POLL_WINDOW_MS = 20_000
const JOINS = ['Ann', 'Bo', 'Cy']

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
 * Scenario 7: 1,000 active watches (100 chats × 10 meetings not started yet). With the emulator's
 * events off, the poller alone for 20 s: conference API calls per watch-hour, scaled to the
 * default interval, and the bot's CPU per poll. Then events on: every meeting starts (1,000
 * status events, 1,000 "started" notices), three people join each (3,000 member events, no
 * notice), every meeting ends (1,000 summaries): the bot's CPU per event, and every notice once.
 */
export async function watchesScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = performance.now()
  const bot = await startBot(ctx.emu.baseUrl, ctx.secret, {
    env: {
      BOT_WATCH_POLL_MS: String(POLL_MS),
      BOT_WATCH_MAX: String(WATCH_ROOMS),
      BOT_WATCH_MAX_PER_CHAT: String(PER_CHAT),
      // The scenario measures the poller, not the quota guard: a quota it cannot spend.
      BOT_MONTHLY_API_QUOTA: '100000000',
      DINGTALK_API_QPS: '1000',
    },
  })
  const rooms = Array.from({ length: WATCH_ROOMS }, (_, i) => watchRoom(i))
  const waitUntil = async (what: string, ok: () => Promise<boolean>, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`watches: timed out waiting for ${what}`)
      await sleep(100)
    }
  }
  try {
    await ctx.emu.call({ cmd: 'waitForStream', timeoutMs: 10_000 })
    await ctx.emu.call({ cmd: 'setEvents', on: false })
    ctx.log(`watches: ${WATCH_ROOMS} watches in ${WATCH_ROOMS / PER_CHAT} chats`)
    let confirmed = 0
    await pool(rooms, 16, async (room) => {
      const i = rooms.indexOf(room)
      const body = JSON.stringify(
        robotMessage({
          text: `watch ${room}`,
          oapiBase: ctx.emu.baseUrl,
          conversationId: `cidWatchBench${Math.floor(i / PER_CHAT)}==`,
        }),
      )
      const res = await fetch(`${bot.url}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(ctx.secret),
        body,
      })
      if ((await res.text()).includes('Watching')) confirmed++
    })

    ctx.log(`watches: the poller alone for ${POLL_WINDOW_MS / 1000} s (events off)`)
    await ctx.emu.call({ cmd: 'resetCounters' })
    const pollCpu0 = cpuSeconds(bot.pid)
    await sleep(POLL_WINDOW_MS)
    const pollCpu = cpuSeconds(bot.pid) - pollCpu0
    const pollCalls = Object.entries((await ctx.emu.counts()).calls)
      .filter(([api]) => api.startsWith('conference.'))
      .reduce((a, [, n]) => a + n, 0)
    const perWatchHour = (pollCalls / WATCH_ROOMS) * (3_600_000 / POLL_WINDOW_MS)
    const perWatchHourAtDefault = perWatchHour * (POLL_MS / DEFAULT_POLL_MS)

    await ctx.emu.call({ cmd: 'setEvents', on: true })
    const events0 = await ctx.emu.call<EventCounts>({ cmd: 'events' })
    const replies0 = (await ctx.emu.counts()).replies
    const phase = async (what: string, run: () => Promise<void>, events: number, notices: number) => {
      ctx.log(`watches: ${what}`)
      const before = await ctx.emu.call<EventCounts>({ cmd: 'events' })
      const replies = (await ctx.emu.counts()).replies
      const cpu0 = cpuSeconds(bot.pid)
      const t = performance.now()
      await run()
      await waitUntil(what, async () => {
        const e = await ctx.emu.call<EventCounts>({ cmd: 'events' })
        const r = (await ctx.emu.counts()).replies
        return e.acked - before.acked >= events && r - replies >= notices
      })
      return { cpuMs: (cpuSeconds(bot.pid) - cpu0) * 1000, ms: performance.now() - t }
    }
    const started = await phase(
      `${WATCH_ROOMS} meetings start`,
      () => ctx.emu.call({ cmd: 'timeline', action: 'start', codes: rooms }),
      WATCH_ROOMS,
      WATCH_ROOMS,
    )
    const joined = await phase(
      `${JOINS.length} people join each`,
      () => ctx.emu.call({ cmd: 'timeline', action: 'join', codes: rooms, nicks: JOINS }),
      WATCH_ROOMS * JOINS.length,
      0,
    )
    const ended = await phase(
      `${WATCH_ROOMS} meetings end`,
      () => ctx.emu.call({ cmd: 'timeline', action: 'end', codes: rooms }),
      // Ending: everyone still in leaves (one member event) and the status changes.
      WATCH_ROOMS * 2,
      WATCH_ROOMS,
    )
    // Room for a second notice to show up, if there were one.
    await sleep(2000)
    const events = await ctx.emu.call<EventCounts>({ cmd: 'events' })
    const posted = await ctx.emu.call<ReplyStats>({ cmd: 'replyStats', from: replies0 })
    const notices = posted.total
    const eventCount = events.pushed - events0.pushed
    const memberCpuPerEvent = joined.cpuMs / (WATCH_ROOMS * JOINS.length)
    return {
      name: 'watches',
      title: `${WATCH_ROOMS.toLocaleString('en-US')} active watches: the poller and the event path`,
      rows: [
        ['watches confirmed', `${confirmed} of ${WATCH_ROOMS}`],
        [
          `poller, ${POLL_MS / 1000} s interval, events off`,
          `${pollCalls} conference calls in ${POLL_WINDOW_MS / 1000} s = ${round(perWatchHour, 1)} per watch-hour`,
        ],
        [
          'poller at the default 60 s',
          `${round(perWatchHourAtDefault, 1)} calls per watch-hour; CPU ${round((pollCpu * 1000) / Math.max(1, pollCalls), 3)} ms per poll`,
        ],
        [
          'start: 1,000 status events',
          `${round(started.ms / 1000, 1)} s to 1,000 started notices; CPU ${round(started.cpuMs / WATCH_ROOMS, 3)} ms per event (notice included)`,
        ],
        [
          'joins: 3,000 member events',
          `${round(joined.ms / 1000, 1)} s; CPU ${round(memberCpuPerEvent, 3)} ms per event`,
        ],
        [
          'end: 1,000 status + 1,000 member events',
          `${round(ended.ms / 1000, 1)} s to 1,000 summaries; CPU ${round(ended.cpuMs / WATCH_ROOMS, 3)} ms per meeting`,
        ],
        ['events pushed / acked LATER', `${eventCount} / ${events.ackedLater - events0.ackedLater}`],
        [
          'notices posted',
          `${notices} (expected ${2 * WATCH_ROOMS}), ${posted.repeats} repeated; ${Object.entries(
            posted.byVia,
          )
            .map(([via, n]) => `${via} ${n}`)
            .join(', ')}`,
        ],
      ],
      targets: [
        target('watches confirmed', confirmed, '==', WATCH_ROOMS),
        target('watch notices posted', notices, '==', 2 * WATCH_ROOMS),
        target('watch notices posted twice', posted.repeats, '==', 0),
        target(
          'poller calls per watch-hour at the default interval',
          round(perWatchHourAtDefault, 1),
          '<=',
          60,
        ),
        target('member event CPU', round(memberCpuPerEvent, 3), '<', 1, 'ms'),
      ],
      data: {
        watches: WATCH_ROOMS,
        confirmed,
        pollMs: POLL_MS,
        pollWindowMs: POLL_WINDOW_MS,
        pollCalls,
        pollCpuSeconds: round(pollCpu, 3),
        perWatchHour: round(perWatchHour, 1),
        perWatchHourAtDefault: round(perWatchHourAtDefault, 1),
        phases: { started, joined, ended },
        events: eventCount,
        eventsAckedLater: events.ackedLater - events0.ackedLater,
        notices,
        noticeRepeats: posted.repeats,
        noticesByVia: posted.byVia,
      },
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await bot.stop()
  }
}
