import type { FlowObserver, HandledReport, InboundContext } from '../core/context.js'
import type { TransportKind } from '../core/message.js'
import type { Metrics } from './metrics.js'

/** Counts what the bot does, for `/status` and Prometheus at once. */
export class Stats implements FlowObserver {
  handledCount = 0
  failed = 0
  duplicates = 0
  rateLimitedCount = 0
  readonly lastMessageAt: Partial<Record<TransportKind, number>> = {}

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

  /** For `/status`. */
  counts(): { handled: number; failed: number; duplicates: number; rateLimited: number } {
    return {
      handled: this.handledCount,
      failed: this.failed,
      duplicates: this.duplicates,
      rateLimited: this.rateLimitedCount,
    }
  }

  rateLimited(_ctx: InboundContext, action: 'refused' | 'ignored'): void {
    this.rateLimitedCount++
    this.metrics.rateLimited.inc({ action })
  }
}
