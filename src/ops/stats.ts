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

/**
 * What `/status` shows of the flow: messages handled and failed, duplicates, rate-limited, and
 * the platform events. The app's (`Stats`) and, for a third-party app, each org's own
 * (`app/org-stats.ts`): an org's admins see their org's figures, never the app's or another's.
 */
export class FlowCounts {
  handled = 0
  failed = 0
  duplicates = 0
  rateLimited = 0
  readonly events: EventCounts = { received: 0, handled: 0, duplicates: 0, ignored: 0, failed: 0 }

  message(r: HandledReport): void {
    this.handled++
    if (r.outcome === 'failed') this.failed++
  }

  duplicate(): void {
    this.duplicates++
  }

  rateLimit(): void {
    this.rateLimited++
  }

  event(r: EventReport): void {
    this.events.received++
    if (r.outcome === 'duplicate') this.events.duplicates++
    else this.events[r.outcome]++
  }

  counts(): { handled: number; failed: number; duplicates: number; rateLimited: number } {
    return {
      handled: this.handled,
      failed: this.failed,
      duplicates: this.duplicates,
      rateLimited: this.rateLimited,
    }
  }

  /** A third-party app's org always takes events (its suite ticket comes as one). */
  eventCounts(): Readonly<EventCounts> {
    return { ...this.events }
  }
}

/** Counts what the bot does, for `/status` and Prometheus at once. */
export class Stats implements FlowObserver {
  readonly tally = new FlowCounts()
  readonly lastMessageAt: Partial<Record<TransportKind, number>> = {}
  /** The event types the features handle: their own metrics label; anything else is `other`. */
  private eventTypes: ReadonlySet<string> = new Set()
  private eventsSubscribed = false

  constructor(
    private readonly metrics: Metrics,
    private readonly clock: () => number = Date.now,
  ) {}

  handled(ctx: InboundContext, r: HandledReport): void {
    this.tally.message(r)
    this.lastMessageAt[ctx.transport] = this.clock()
    this.metrics.messages.inc({ transport: ctx.transport, command: r.command, outcome: r.outcome })
    if (r.path || r.outcome === 'failed') this.metrics.replies.inc({ path: r.path ?? 'failed' })
    this.metrics.messageSeconds.observe({ transport: ctx.transport }, r.durationMs / 1000)
  }

  duplicate(ctx: InboundContext): void {
    this.tally.duplicate()
    this.metrics.dedupeHits.inc({ transport: ctx.transport })
  }

  event(_ctx: InboundContext, r: EventReport): void {
    this.tally.event(r)
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
    return this.tally.counts()
  }

  /** For `/status`: undefined while no transport subscribed to events (no feature handles any). */
  eventCounts(): Readonly<EventCounts> | undefined {
    return this.eventsSubscribed ? this.tally.eventCounts() : undefined
  }

  rateLimited(_ctx: InboundContext, action: 'refused' | 'ignored'): void {
    this.tally.rateLimit()
    this.metrics.rateLimited.inc({ action })
  }
}
