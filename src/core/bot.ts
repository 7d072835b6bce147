import { type Logger, lazyChild } from '../logger.js'
import type { CardActionResult, InboundCardAction } from './card-action.js'
import { CardActionFlowContext, cardActionLog } from './card-action-context.js'
import { type ChatSource, MessageContext } from './context.js'
import type { EventOutcome, InboundEvent } from './event.js'
import { EventFlowContext } from './event-context.js'
import type { InboundMessage, ReplySink } from './message.js'
import type { InboundPort, MessageOutcome } from './port.js'

export interface BotOptions {
  /** The message flow, composed once at start-up (`app/pipeline.ts`). */
  readonly flow: (ctx: MessageContext) => Promise<void>
  /** The event flow, composed once too; without it every event is `ignored`. */
  readonly eventFlow?: (ctx: EventFlowContext) => Promise<void>
  /** The card click flow, composed once too; without it every click is `ignored`. */
  readonly cardFlow?: (ctx: CardActionFlowContext) => Promise<void>
  readonly chat: ChatSource
  readonly log: Logger
  readonly clock?: () => number
  /** Where messages the bot owes an answer are recorded; without it `keep` records nothing. */
  readonly inbox?: { keep(msg: InboundMessage): Promise<boolean> }
  /** Says whether a message was answered already: a redelivery of one is not kept again. */
  readonly ledger?: { answered(msgId: string): Promise<boolean> }
  /** Messages and events in flight at most before `busy()` says so (`BOT_MAX_PENDING`). */
  readonly maxPending?: number
}

const FAILED: CardActionResult = { outcome: 'failed' }
const IGNORED: CardActionResult = { outcome: 'ignored' }

/**
 * The core behind the transports' port: one context per message (or event, or card click) through
 * its flow, everything in flight counted so that shutdown can wait for it (bounded) and
 * transports can push back.
 */
export class Bot implements InboundPort {
  private readonly clock: () => number
  private readonly inFlight = new Set<Promise<unknown>>()
  private accepting = true

  constructor(private readonly opts: BotOptions) {
    this.clock = opts.clock ?? Date.now
  }

  /** Handles one message end to end. Never throws: the outcome says what happened. */
  handle(msg: InboundMessage, sink?: ReplySink): Promise<MessageOutcome> {
    if (!this.accepting) return Promise.resolve('rejected')
    return this.track(this.process(msg, sink))
  }

  /**
   * Handles one platform event end to end. Never throws. While draining: `failed` without running
   * anything (not handled here: DingTalk is asked to push it again, to whoever runs then).
   */
  event(evt: InboundEvent): Promise<EventOutcome> {
    if (!this.accepting) return Promise.resolve('failed')
    return this.track(this.processEvent(evt))
  }

  /**
   * Handles one card button click end to end. Never throws. While draining: `failed` without
   * running anything (the transport answers DingTalk at once; the card stays as it is).
   */
  cardAction(action: InboundCardAction): Promise<CardActionResult> {
    if (!this.accepting) return Promise.resolve(FAILED)
    return this.track(this.processCardAction(action))
  }

  /** Stops taking messages and waits (bounded) for the ones in flight to be answered. */
  async drain(timeoutMs: number): Promise<{ pending: number }> {
    this.accepting = false
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    })
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout])
    clearTimeout(timer)
    return { pending: this.inFlight.size }
  }

  get pending(): number {
    return this.inFlight.size
  }

  async keep(msg: InboundMessage): Promise<boolean> {
    const { inbox, ledger } = this.opts
    if (!inbox) return true
    // Answered already (DingTalk pushed it again): nothing is owed, nothing to record.
    if (ledger && (await ledger.answered(msg.id))) return false
    return inbox.keep(msg)
  }

  busy(): boolean {
    return this.inFlight.size >= (this.opts.maxPending ?? Number.POSITIVE_INFINITY)
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p)
    void p.finally(() => this.inFlight.delete(p))
    return p
  }

  private async process(msg: InboundMessage, sink: ReplySink | undefined): Promise<MessageOutcome> {
    const log = lazyChild(this.opts.log, {
      msgId: msg.id,
      conversation: msg.conversation.id,
      transport: msg.transport,
    })
    const ctx = new MessageContext(msg, sink, log, this.clock(), this.opts.chat)
    try {
      await this.opts.flow(ctx)
    } catch (err) {
      // The report step catches what the steps below it throw; this is for the steps above it.
      log.error({ err }, 'message handling failed')
      return 'failed'
    }
    return ctx.outcome
  }

  private async processEvent(evt: InboundEvent): Promise<EventOutcome> {
    const flow = this.opts.eventFlow
    if (!flow) return 'ignored'
    const log = lazyChild(this.opts.log, { eventId: evt.id, eventType: evt.type, transport: evt.transport })
    const ctx = new EventFlowContext(evt, log, this.clock())
    try {
      await flow(ctx)
    } catch (err) {
      // As for messages: the report step catches what the steps below it throw.
      log.error({ err }, 'event handling failed')
      return 'failed'
    }
    return ctx.outcome
  }

  private async processCardAction(action: InboundCardAction): Promise<CardActionResult> {
    const flow = this.opts.cardFlow
    if (!flow) return IGNORED
    const log = cardActionLog(this.opts.log, action)
    const ctx = new CardActionFlowContext(action, log, this.clock())
    try {
      await flow(ctx)
    } catch (err) {
      // As for messages: the report step catches what the steps below it throw.
      log.error({ err }, 'card action handling failed')
      return FAILED
    }
    return ctx.answer()
  }
}
