import type { CardStats, ChurnResult } from '../lib/emulator-protocol.js'
import type { LoadResult } from '../lib/load.js'
import { ms, type ScenarioResult, target } from '../lib/report.js'
import { ratio, round } from '../lib/stats.js'

/*
 * Scenario 8's numbers, from what livecards.ts measured: the table's rows, the targets, the JSON.
 */

/** Markdown answers at a fixed rate, the bot's CPU and event-loop delay meanwhile. */
export interface Probe extends LoadResult {
  readonly cpuS: number
  readonly loopLagMs: { readonly p99: number; readonly max: number }
}

export interface LiveCardsSettings {
  readonly cards: number
  readonly meetings: number
  readonly chatsPerMeeting: number
  readonly updateMs: number
  readonly pollMs: number
  /** How often a meeting in progress is polled while its events arrive. */
  readonly pollMsWithEvents: number
  readonly changeEveryMs: number
  /** The window as planned (the measured one is a few ms longer). */
  readonly windowMs: number
  readonly apiQps: number
  readonly gapSlackMs: number
  readonly p99RatioBound: number
}

/** API calls the emulator counted over a phase, by API. */
export type Calls = Readonly<Record<string, number>>

/** The calls from `a` to `b` (two readings of the emulator's counters). */
export function callsBetween(a: Calls, b: Calls): Calls {
  return Object.fromEntries(Object.entries(b).map(([api, n]) => [api, n - (a[api] ?? 0)]))
}

export interface LiveCardsRun {
  readonly settings: LiveCardsSettings
  readonly create: { readonly ms: number; readonly answered: number; readonly calls: Calls }
  readonly beforeWindow: CardStats
  readonly window: {
    readonly ms: number
    readonly churn: ChurnResult
    readonly eventsAcked: number
    readonly stats: CardStats
    readonly calls: Calls
    readonly cpuS: number
  }
  readonly answers: { readonly before: Probe; readonly during: Probe; readonly after: Probe }
  readonly end: { readonly freezeMs: number; readonly stats: CardStats; readonly calls: Calls }
}

export function liveCardsResult(r: LiveCardsRun): Omit<ScenarioResult, 'seconds'> {
  const s = r.settings
  const w = r.window
  const end = r.end.stats
  const conference = (calls: Calls) =>
    Object.entries(calls).reduce((a, [api, n]) => a + (api.startsWith('conference.') ? n : 0), 0)
  const windowMin = w.ms / 60_000
  const updatesPerMin = w.stats.updatesInWindow / windowMin
  const perCardPerMin = updatesPerMin / s.cards
  const memberEvents = w.churn.joins + w.churn.leaves
  // Without coalescing every member event would update each of the meeting's cards.
  const naivePerMin = (memberEvents * s.chatsPerMeeting) / windowMin
  const confCalls = conference(w.calls)
  const confPerMeeting = round(confCalls / s.meetings, 2)
  // One poll per meeting per interval, plus the interval it was on when the events began.
  const confBound = Math.ceil(s.windowMs / s.pollMsWithEvents) + 2
  const apiPerCardHour = (((w.calls['card.update'] ?? 0) + confCalls) / s.cards) * (3_600_000 / w.ms)
  const { before, during, after } = r.answers
  // The live probe's answers, taken out at what an answer cost once every card was frozen.
  const cardsCpuS = w.cpuS - during.requests * (after.cpuS / Math.max(1, after.requests))
  const cpuPct = (cardsCpuS / (w.ms / 1000)) * 100
  // Without live cards: before any card and after every card froze, equal probes (the mean of
  // their percentiles, as scenario 1 merges its rounds).
  const without = (k: 'p50' | 'p99') => round((before.latencyMs[k] + after.latencyMs[k]) / 2)
  const p50Ratio = ratio(during.latencyMs.p50, without('p50'))
  const p99Ratio = ratio(during.latencyMs.p99, without('p99'))
  const bad = (p: Probe) => p.non2xx + p.errors + p.timeouts + p.unexpected
  const lat = (p: Probe) => `${ms(p.latencyMs.p50)} / ${ms(p.latencyMs.p99)}`
  const lag = (p: Probe) => `${ms(p.loopLagMs.p99)} / ${ms(p.loopLagMs.max)}`
  const gaps = end.updatesTotal - end.instances
  return {
    name: 'livecards',
    title: `${s.cards} live cards over ${s.meetings} meetings, BOT_CARD_UPDATE_MS ${s.updateMs / 1000} s`,
    rows: [
      [
        'cards created',
        `${r.beforeWindow.instances} of ${s.cards} in ${round(r.create.ms / 1000, 1)} s: ${r.create.calls['card.deliver'] ?? 0} createAndDeliver, ${r.create.calls['conference.byRoomCode'] ?? 0} room-code lookups`,
      ],
      [
        `window: ${round(w.ms / 1000, 1)} s`,
        `${memberEvents} member events (${w.churn.errors} refused), ${w.eventsAcked} events acked`,
      ],
      [
        'card updates',
        `${Math.round(updatesPerMin)}/min = ${round(perCardPerMin, 2)} per card-minute = ${Math.round(perCardPerMin * 60)} per card-hour (bound ${3_600_000 / s.updateMs})`,
      ],
      [
        'coalescing',
        `${Math.round(naivePerMin)}/min if every event updated every card of its meeting: ${round(updatesPerMin / naivePerMin, 3)}×`,
      ],
      [
        'gap between updates of a card',
        `min ${end.minGapMs} ms (${end.gapsBelowBound} of ${gaps} under ${s.updateMs} ms), p50 ${w.stats.gapMs.p50} ms, max ${w.stats.gapMs.max} ms`,
      ],
      ['peak updates in one second (info)', `${w.stats.peakPerSecond} (DINGTALK_API_QPS ${s.apiQps})`],
      [
        'conference calls in the window',
        `${confCalls} = ${confPerMeeting} per meeting (${s.chatsPerMeeting} cards each; bound ${confBound})`,
      ],
      ['API calls per card-hour', `${Math.round(apiPerCardHour)} (card updates and conference calls)`],
      [
        'bot CPU, the probe taken out',
        `${round(cpuPct, 1)}% of a core; ${round((cardsCpuS * 1000) / Math.max(1, w.stats.updatesInWindow), 2)} ms per card update (events and passes included)`,
      ],
      [
        'answer path p50 / p99',
        `${lat(during)} live vs ${ms(without('p50'))} / ${ms(without('p99'))} without (before ${lat(before)}, after the freeze ${lat(after)}) = ${p50Ratio}× / ${p99Ratio}×`,
      ],
      [
        'bot event-loop delay p99 / max',
        `${lag(during)} live, ${lag(before)} before, ${lag(after)} after the freeze`,
      ],
      [
        'end',
        `all frozen ${round(r.end.freezeMs / 1000, 1)} s after the meetings ended: once ${end.frozenOnce}, more ${end.frozenMore}; ${end.afterFreeze} updates after; ${end.showEnded} show the end; ${conference(r.end.calls)} conference calls`,
      ],
    ],
    targets: [
      target('live cards created', r.beforeWindow.instances, '==', s.cards),
      target('live cards updated in the window', w.stats.cardsUpdatedInWindow, '==', s.cards),
      target(
        `live card: shortest gap between updates (${s.gapSlackMs} ms slack)`,
        end.minGapMs,
        '>=',
        s.updateMs - s.gapSlackMs,
        'ms',
      ),
      target('live card conference calls per meeting', confPerMeeting, '<=', confBound),
      target('live cards frozen exactly once', end.frozenOnce, '==', s.cards),
      target('live card updates after the freeze', end.afterFreeze, '==', 0),
      target('live cards: answer p99 vs without live cards', p99Ratio, '<=', s.p99RatioBound, '×'),
      target('live cards: answers not 2xx or not the card', bad(before) + bad(during) + bad(after), '==', 0),
    ],
    data: {
      ...s,
      create: {
        ms: Math.round(r.create.ms),
        answered: r.create.answered,
        deliverCalls: r.create.calls['card.deliver'] ?? 0,
        updateCalls: r.create.calls['card.update'] ?? 0,
        roomCodeLookups: r.create.calls['conference.byRoomCode'] ?? 0,
        conferenceCalls: conference(r.create.calls),
        updatesBeforeWindow: r.beforeWindow.updatesTotal,
      },
      window: {
        ms: w.ms,
        churn: w.churn,
        eventsAcked: w.eventsAcked,
        cards: w.stats,
        updatesPerMinute: round(updatesPerMin, 1),
        updatesPerCardMinute: round(perCardPerMin, 3),
        updatesPerCardHour: round(perCardPerMin * 60, 1),
        naiveUpdatesPerMinute: round(naivePerMin, 1),
        cardUpdateCalls: w.calls['card.update'] ?? 0,
        conferenceCalls: confCalls,
        conferenceCallsPerMeeting: confPerMeeting,
        conferenceCallsBound: confBound,
        apiCallsPerCardHour: round(apiPerCardHour, 1),
        botCpuSeconds: round(w.cpuS, 3),
        cardsCpuSeconds: round(cardsCpuS, 3),
        cardsCpuPercentOfCore: round(cpuPct, 1),
      },
      answerPath: {
        before,
        during,
        after,
        withoutP50: without('p50'),
        withoutP99: without('p99'),
        p50Ratio,
        p99Ratio,
      },
      end: {
        freezeMs: Math.round(r.end.freezeMs),
        cards: end,
        conferenceCalls: conference(r.end.calls),
      },
    },
  }
}
