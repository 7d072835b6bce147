import { type Logger, lazyChild } from '../logger.js'
import type {
  CardActionContext,
  CardActionOutcome,
  CardActionResult,
  CardData,
  InboundCardAction,
} from './card-action.js'
import type { CommandResult, InboundContext } from './context.js'
import type { TransportKind } from './message.js'

/**
 * One card button click on its way through the click flow (`app/pipeline.ts`): what the steps
 * every inbound kind shares see (`InboundContext`), and what the dispatch step hands to the
 * feature's handler (`CardActionContext`). One object of a fixed shape, like an event's context.
 */
export class CardActionFlowContext implements InboundContext {
  /** The button's action: what ran, for the error boundary's line. */
  command: string
  result: CommandResult = 'ok'
  outcome: CardActionOutcome = 'ignored'
  ref: string | undefined = undefined
  /** What the handler said the card shows now; only a `handled` click answers with it. */
  data: CardData | undefined = undefined

  constructor(
    readonly action: InboundCardAction,
    /** Carries the click id, the card, the action, the user and the transport (`cardActionLog`). */
    readonly log: Logger,
    readonly started: number,
  ) {
    this.command = action.action
  }

  /** Derived from the click's content by the transport; the click ledger has a keyspace of its own. */
  get id(): string {
    return this.action.id
  }

  get transport(): TransportKind {
    return this.action.transport
  }

  /** What the handler gets. */
  handlerContext(): CardActionContext {
    return { action: this.action, log: this.log, now: this.started }
  }

  /** What the transport answers DingTalk with: the data only when the handler ran through. */
  answer(): CardActionResult {
    return this.outcome === 'handled' && this.data
      ? { outcome: this.outcome, data: this.data }
      : { outcome: this.outcome }
  }
}

/**
 * The logger of one click: every line of its flow (the audit line, a failure, an unknown action)
 * says which card, which button, who, and how it came. Lazy, like a message's.
 */
export function cardActionLog(parent: Logger, action: InboundCardAction): Logger {
  return lazyChild(parent, {
    clickId: action.id,
    outTrackId: action.outTrackId,
    action: action.action,
    userId: action.userId,
    transport: action.transport,
  })
}
