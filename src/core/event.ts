import type { Logger } from '../logger.js'
import type { TransportKind } from './message.js'

/**
 * A platform event (an EVENT frame over Stream, platform notes §8): a meeting's status changed,
 * members joined or left. Events are an accelerator, never the only source of news: a feature
 * that acts on them also polls (the watch feature), so a lost event costs latency, not a notice.
 */
export interface InboundEvent {
  /** DingTalk's `eventId`: the same for every push of the event, re-pushes included. De-dup on it. */
  readonly id: string
  /** `eventType`, e.g. `meeting_status_change`. */
  readonly type: string
  /** `eventCorpId`: the org the event is about (one org per deployment until the ISV issue). */
  readonly corpId: string
  /** `eventBornTime`, epoch ms (when DingTalk did not say: when it arrived). */
  readonly bornAt: number
  readonly receivedAt: number
  readonly transport: TransportKind
  /** The frame's `data`, parsed from its JSON text. Handlers validate what they read. */
  readonly data: unknown
}

/** What became of one event: for the transport's ack, the log line and the metrics. */
export type EventOutcome = 'handled' | 'duplicate' | 'ignored' | 'failed'

/** What a feature's event handler gets. */
export interface EventContext {
  readonly event: InboundEvent
  /** Carries `eventId` and `eventType`. */
  readonly log: Logger
  /** Clock time the core took it. */
  readonly now: number
}

/**
 * A feature's handler for one event type. It resolves once what the event changed is recorded
 * (durably where it matters); it throws to say the event could not be handled: the core logs it
 * with a reference id, counts it and lets DingTalk push it again (ack `LATER`).
 */
export type EventHandler = (ctx: EventContext) => Promise<void>
