import type { Logger } from '../logger.js'
import type { CommandResult, InboundContext } from './context.js'
import type { EventContext, EventOutcome, InboundEvent } from './event.js'
import type { TransportKind } from './message.js'

/**
 * One platform event on its way through the event flow (`app/pipeline.ts`): what the steps every
 * inbound kind shares see (`InboundContext`), and what the dispatch step hands to the features'
 * handlers (`EventContext`). One object of a fixed shape, like a message's context.
 */
export class EventFlowContext implements InboundContext {
  /** The event's type: what ran, for the error boundary's line. */
  command: string
  result: CommandResult = 'ok'
  outcome: EventOutcome = 'ignored'
  ref: string | undefined = undefined
  /** How many handlers the dispatch step ran (0: nobody handles this type). */
  handlers = 0

  constructor(
    readonly event: InboundEvent,
    /** Carries `eventId`, `eventType` and the transport. */
    readonly log: Logger,
    readonly started: number,
  ) {
    this.command = event.type
  }

  /** DingTalk's `eventId`, the same on every push; the event ledger has a keyspace of its own. */
  get id(): string {
    return this.event.id
  }

  get transport(): TransportKind {
    return this.event.transport
  }

  /** What each handler gets. */
  handlerContext(): EventContext {
    return { event: this.event, log: this.log, now: this.started }
  }
}
