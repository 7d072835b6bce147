import type { InboundMessage, ReplySink } from './message.js'

/** What became of one inbound message, for its transport, the log line and the metrics. */
export type MessageOutcome = 'answered' | 'duplicate' | 'failed' | 'ignored' | 'rejected'

/**
 * The one seam between transports and the core: a transport turns DingTalk's payload into an
 * `InboundMessage` and hands it here, with a `ReplySink` when it can carry the answer itself.
 * Never throws: the outcome says what happened.
 */
export interface InboundPort {
  handle(msg: InboundMessage, sink?: ReplySink): Promise<MessageOutcome>
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
