import type { BotObserver, HandledReport } from './core/bot.js'
import type { InboundMessage, TransportKind } from './core/message.js'
import type { Metrics } from './metrics.js'

/** Counts what the bot does, for `/status` and Prometheus at once. */
export class Stats implements BotObserver {
  handledCount = 0
  failed = 0
  duplicates = 0
  rateLimitedCount = 0
  readonly lastMessageAt: Partial<Record<TransportKind, number>> = {}

  constructor(
    private readonly metrics: Metrics,
    private readonly clock: () => number = Date.now,
  ) {}

  handled(msg: InboundMessage, r: HandledReport): void {
    this.handledCount++
    if (r.outcome === 'failed') this.failed++
    this.lastMessageAt[msg.transport] = this.clock()
    this.metrics.messages.inc({ transport: msg.transport, command: r.command, outcome: r.outcome })
    if (r.path || r.outcome === 'failed') this.metrics.replies.inc({ path: r.path ?? 'failed' })
    this.metrics.messageSeconds.observe({ transport: msg.transport }, r.durationMs / 1000)
  }

  duplicate(msg: InboundMessage): void {
    this.duplicates++
    this.metrics.dedupeHits.inc({ transport: msg.transport })
  }

  rateLimited(_msg: InboundMessage, action: 'refused' | 'ignored'): void {
    this.rateLimitedCount++
    this.metrics.rateLimited.inc({ action })
  }
}
