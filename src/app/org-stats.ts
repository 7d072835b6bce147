import type {
  CardActionReport,
  EventReport,
  FlowObserver,
  HandledReport,
  InboundContext,
} from '../core/context.js'
import type { FlowCounts } from '../ops/stats.js'

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
    private readonly countsOf: (corpId: string) => FlowCounts | undefined,
  ) {}

  handled(ctx: InboundContext, r: HandledReport): void {
    this.app.handled(ctx, r)
    this.countsOf(corpOf(ctx))?.message(r)
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
    this.countsOf(corpOf(ctx))?.rateLimit()
  }
}
