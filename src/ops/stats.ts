import type {
  CardActionReport,
  EventReport,
  FlowObserver,
  HandledReport,
  InboundContext,
} from '../core/context.js'
import type { TransportKind } from '../core/message.js'
import type { Metrics } from './metrics.js'

/** Platform events since start, for `/status`: every one received, and what became of it. */
export interface EventCounts {
  received: number
  handled: number
  duplicates: number
  /** No feature handles its type. */
  ignored: number
  failed: number
}

/** Counts what the bot does, for `/status` and Prometheus at once. */
export class Stats implements FlowObserver {
  handledCount = 0
  failed = 0
  duplicates = 0
  rateLimitedCount = 0
  readonly lastMessageAt: Partial<Record<TransportKind, number>> = {}
  readonly events: EventCounts = { received: 0, handled: 0, duplicates: 0, ignored: 0, failed: 0 }
  /** The event types the features handle: their own metrics label; anything else is `other`. */
  private eventTypes: ReadonlySet<string> = new Set()
  private eventsSubscribed = false

  constructor(
    private readonly metrics: Metrics,
    private readonly clock: () => number = Date.now,
  ) {}

  handled(ctx: InboundContext, r: HandledReport): void {
    this.handledCount++
    if (r.outcome === 'failed') this.failed++
    this.lastMessageAt[ctx.transport] = this.clock()
    this.metrics.messages.inc({ transport: ctx.transport, command: r.command, outcome: r.outcome })
    if (r.path || r.outcome === 'failed') this.metrics.replies.inc({ path: r.path ?? 'failed' })
    this.metrics.messageSeconds.observe({ transport: ctx.transport }, r.durationMs / 1000)
  }

  duplicate(ctx: InboundContext): void {
    this.duplicates++
    this.metrics.dedupeHits.inc({ transport: ctx.transport })
  }

  event(_ctx: InboundContext, r: EventReport): void {
    this.events.received++
    if (r.outcome === 'duplicate') this.events.duplicates++
    else this.events[r.outcome]++
    const type = this.eventTypes.has(r.eventType) ? r.eventType : 'other'
    this.metrics.events.inc({ type, outcome: r.outcome })
  }

  /** Every card click, whatever became of it (the report step bounds the action label). */
  cardAction(_ctx: InboundContext, r: CardActionReport): void {
    this.metrics.cardActions.inc({ action: r.action, outcome: r.outcome })
  }

  /** The transports subscribed to platform events, for the features' handlers of these types. */
  subscribedToEvents(types: Iterable<string>): void {
    this.eventsSubscribed = true
    this.eventTypes = new Set(types)
  }

  /** For `/status`. */
  counts(): { handled: number; failed: number; duplicates: number; rateLimited: number } {
    return {
      handled: this.handledCount,
      failed: this.failed,
      duplicates: this.duplicates,
      rateLimited: this.rateLimitedCount,
    }
  }

  /** For `/status`: undefined while no transport subscribed to events (no feature handles any). */
  eventCounts(): Readonly<EventCounts> | undefined {
    return this.eventsSubscribed ? { ...this.events } : undefined
  }

  rateLimited(_ctx: InboundContext, action: 'refused' | 'ignored'): void {
    this.rateLimitedCount++
    this.metrics.rateLimited.inc({ action })
  }
}
