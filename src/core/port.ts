import type { CardActionResult, InboundCardAction } from './card-action.js'
import type { EventOutcome, InboundEvent } from './event.js'
import type { InboundMessage, ReplySink } from './message.js'

/** What became of one inbound message, for its transport, the log line and the metrics. */
export type MessageOutcome = 'answered' | 'duplicate' | 'failed' | 'ignored' | 'rejected'

/**
 * The one seam between transports and the core: a transport turns DingTalk's payload into an
 * `InboundMessage` and hands it here, with a `ReplySink` when it can carry the answer itself.
 */
export interface InboundPort {
  /** Handles one message end to end. Never throws: the outcome says what happened. */
  handle(msg: InboundMessage, sink?: ReplySink): Promise<MessageOutcome>
  /**
   * Records durably that the bot owes `msg` an answer, before the transport tells DingTalk it has
   * it (the Stream ack, an HTTP `empty`): a crash after that does not lose it. False when it was
   * recorded already (a redelivery of a message being answered): do not hand it over again.
   * Rejects when it could not be recorded: then do not tell DingTalk it was received.
   */
  keep(msg: InboundMessage): Promise<boolean>
  /**
   * Handles one platform event end to end (de-dup by `eventId`, the features' handlers). Never
   * throws. The transport acks by the outcome: `failed` asks DingTalk to push it again (`LATER`),
   * as does an event that arrives while the core stops taking work; the others end it (`SUCCESS`).
   */
  event(evt: InboundEvent): Promise<EventOutcome>
  /**
   * Handles one card button click end to end (de-dup, rate limit per user, the feature's handler,
   * the audit line). Never throws. Resolves in time for DingTalk's 2 s: the transport answers the
   * click with `data` (what the card shows now) whatever the outcome.
   */
  cardAction(action: InboundCardAction): Promise<CardActionResult>
  /** True while the core holds as many unanswered messages and events as it may: transports push back. */
  busy(): boolean
}

/** How a transport is doing, for `/status` (never a secret). */
export interface TransportStatus {
  readonly name: string
  /** `connected`, `reconnecting`, `accepting callbacks`... */
  readonly state: string
  readonly connectedSince?: number
  readonly reconnects?: number
  readonly lastMessageAt?: number
}
