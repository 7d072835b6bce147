import type { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import type { Fault } from '../../../src/emulator/types.js'
import type { summarize } from './stats.js'

/** What the bench asks the emulator process over IPC (see emulator-process.ts). */
export type EmulatorCommand =
  | { cmd: 'counts' }
  | { cmd: 'resetCounters' }
  | { cmd: 'fail'; target: Parameters<DingTalkEmulator['fail']>[0]; fault: Fault }
  | { cmd: 'clearFaults' }
  | { cmd: 'waitForStream'; timeoutMs: number }
  | { cmd: 'repliesFor'; sessions: string[] }
  | ({ cmd: 'stream' } & StreamRun)
  | { cmd: 'setEvents'; on: boolean }
  /** Moves watch rooms' timelines: each code started, ended, or joined by `nicks`. */
  | { cmd: 'timeline'; action: 'start' | 'end' | 'join'; codes: string[]; nicks?: string[] }
  | { cmd: 'events' }
  /** The replies recorded from index `from` on: how many, and how many repeat an earlier one. */
  | { cmd: 'replyStats'; from: number }
  /** Members join and leave meetings in progress at a steady rate, until `durationMs` has passed. */
  | ({ cmd: 'churn' } & ChurnRun)
  /** The card instances in chats whose id starts with `spacePrefix`, and their API updates. */
  | { cmd: 'cardStats'; spacePrefix: string; from: number; to: number; boundMs: number }
  /** ISV mode: every org's upstream calls by API since the last `resetCounters` (`corp.token` too). */
  | { cmd: 'isvCalls' }

/** What `churn` does: each of `codes` changes every `periodMs`, the changes spread evenly. */
export interface ChurnRun {
  readonly codes: readonly string[]
  readonly periodMs: number
  readonly durationMs: number
  /** People kept in each meeting: the host, who stays, and others who come and go. */
  readonly inMeeting: number
}

export interface ChurnResult {
  readonly joins: number
  readonly leaves: number
  /** Timeline operations refused (a conflict would mean the bench lost track of who is in). */
  readonly errors: number
  readonly ms: number
}

/** What `cardStats` answers. Only the bot's `PUT /v1.0/card/instances` count as updates. */
export interface CardStats {
  readonly instances: number
  /** Updates with `from <= at < to`, and how many cards had at least one. */
  readonly updatesInWindow: number
  readonly cardsUpdatedInWindow: number
  readonly updatesTotal: number
  /** The shortest time between two updates of one card, over every update so far (-1: none). */
  readonly minGapMs: number
  /** The same, counting only updates of live cards (the freezing update left out). */
  readonly minLiveGapMs: number
  /** Gaps shorter than `boundMs`, over every update so far. */
  readonly gapsBelowBound: number
  /** Gaps between consecutive updates of a card, both ends in the window. */
  readonly gapMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly count: number }
  /** The most updates (all cards) in one wall-clock second of the window. */
  readonly peakPerSecond: number
  /** Cards with exactly one update saying `live: false` (the freeze), with more, with none. */
  readonly frozenOnce: number
  readonly frozenMore: number
  readonly notFrozen: number
  /** Updates after a card's freezing update. */
  readonly afterFreeze: number
  /** Cards whose data now shows the ended meeting, not live. */
  readonly showEnded: number
}

/** What `replyStats` answers. */
export interface ReplyStats {
  readonly total: number
  /** Replies with the same body to the same chat (session or conversation) as an earlier one. */
  readonly repeats: number
  readonly byVia: Record<string, number>
}

/** What `events` answers: EVENT frames pushed (first pushes) and the acks of every push. */
export interface EventCounts {
  readonly pushed: number
  readonly acked: number
  readonly ackedLater: number
}

export interface StreamRun {
  readonly frames: number
  readonly text: string
  /** Frames written before the sender yields to its event loop (and waits for a full socket to drain). */
  readonly batch: number
  /** Paced mode: at most this many frames pushed and not yet acked. */
  readonly window: number
  /** `paced`: batches with yields and socket backpressure; `burst`: every frame in one synchronous loop. */
  readonly mode: 'paced' | 'burst'
  /** Substring every reply must contain (the meeting title). */
  readonly expect: string
  readonly timeoutMs: number
  /** After the last answer, how long to keep watching for a second answer to any frame. */
  readonly settleMs: number
}

export interface StreamResult {
  readonly frames: number
  readonly mode: 'paced' | 'burst'
  readonly batch: number
  readonly sendMs: number
  readonly ackedMs: number
  readonly answeredMs: number
  readonly acked: number
  readonly duplicateAcks: number
  readonly redelivered: number
  readonly answeredOnce: number
  readonly answeredTwiceOrMore: number
  readonly unanswered: number
  readonly wrongAnswers: number
  /** Times the sender found the socket's write buffer non-empty and waited for it to drain. */
  readonly backpressureWaits: number
  /** Batches that waited for acks because `window` frames were un-acked. */
  readonly windowWaits: number
  readonly ackLatencyMs: ReturnType<typeof summarize>
  /** p50 and max of the ack latency per tenth of the frames, in push order: where the slow acks were. */
  readonly ackLatencyByTenth: ReadonlyArray<{ readonly p50: number; readonly max: number }>
  /** The emulator's own event-loop delay meanwhile: the part of an ack's latency that is the sender's. */
  readonly emulatorLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number }
}

/** Extra meetings, room codes 7xx xxx xxx, that nothing asks for until a scenario does. */
export const EXTRA_ROOMS = 1000
export function extraRoom(i: number): string {
  return String(700_000_000 + i)
}

/** Meetings in progress, room codes 9xx xxx xxx, for the live-card scenario (5 cards each). */
export const CARD_ROOMS = 100
export function cardRoom(i: number): string {
  return String(900_000_000 + i)
}

/** Meetings not started yet, room codes 8xx xxx xxx, for the watch scenario. */
export const WATCH_ROOMS = 1000
export function watchRoom(i: number): string {
  return String(800_000_000 + i)
}
