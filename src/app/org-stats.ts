import type {
  CardActionReport,
  EventReport,
  FlowObserver,
  HandledReport,
  InboundContext,
} from '../core/context.js'
import type { EventCounts } from '../ops/stats.js'

/** One org's numbers for its own `/status`: what the app counts, counted again for the org. */
export class OrgCounts {
  private handledCount = 0
  private failed = 0
  private duplicates = 0
  private rateLimitedCount = 0
  private readonly events: EventCounts = { received: 0, handled: 0, duplicates: 0, ignored: 0, failed: 0 }

  handled(r: HandledReport): void {
    this.handledCount++
    if (r.outcome === 'failed') this.failed++
  }
  duplicate(): void {
    this.duplicates++
  }
  rateLimited(): void {
    this.rateLimitedCount++
  }
  event(r: EventReport): void {
    this.events.received++
    if (r.outcome === 'duplicate') this.events.duplicates++
    else this.events[r.outcome]++
  }

  counts(): { handled: number; failed: number; duplicates: number; rateLimited: number } {
    return {
      handled: this.handledCount,
      failed: this.failed,
      duplicates: this.duplicates,
      rateLimited: this.rateLimitedCount,
    }
  }

  /** A third-party app always takes events (its suite ticket comes as one). */
  eventCounts(): Readonly<EventCounts> {
    return { ...this.events }
  }
}

/** The org an item of any kind belongs to, as DingTalk said: the message's, event's or click's corp. */
export function corpOf(ctx: InboundContext): string {
  const c = ctx as Partial<{
    msg: { org?: { corpId: string } }
    event: { corpId: string }
    action: { corpId: string }
  }>
  return c.msg?.org?.corpId ?? c.event?.corpId ?? c.action?.corpId ?? ''
}

/**
 * The app's observer (metrics, the operator's numbers), and each served org's own counts: an
 * org's admins see their org's figures in `/status`, never the app's or another org's.
 */
export class OrgObserver implements FlowObserver {
  constructor(
    private readonly app: FlowObserver,
    private readonly countsOf: (corpId: string) => OrgCounts | undefined,
  ) {}

  handled(ctx: InboundContext, r: HandledReport): void {
    this.app.handled(ctx, r)
    this.countsOf(corpOf(ctx))?.handled(r)
  }
  event(ctx: InboundContext, r: EventReport): void {
    this.app.event(ctx, r)
    this.countsOf(corpOf(ctx))?.event(r)
  }
  cardAction(ctx: InboundContext, r: CardActionReport): void {
    this.app.cardAction?.(ctx, r)
  }
  duplicate(ctx: InboundContext): void {
    this.app.duplicate(ctx)
    this.countsOf(corpOf(ctx))?.duplicate()
  }
  rateLimited(ctx: InboundContext, action: 'refused' | 'ignored'): void {
    this.app.rateLimited(ctx, action)
    this.countsOf(corpOf(ctx))?.rateLimited()
  }
}
