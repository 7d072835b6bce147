import type { FastifyInstance } from 'fastify'
import type { Bot } from '../core/bot.js'
import type { Deduper } from '../core/dedupe.js'
import type { Logger } from '../logger.js'
import type { Readiness } from '../ops/readiness.js'
import type { Store } from '../store/store.js'
import type { StreamTransport } from '../transports/stream/supervisor.js'

export interface LifecycleParts {
  /** The transports read `open`: false once shutdown has begun. */
  readonly intake: { open: boolean }
  readonly log: Logger
  readonly server: FastifyInstance
  readonly readiness: Readiness
  readonly stream: StreamTransport | undefined
  readonly bot: Bot
  readonly ledger: Deduper
  readonly store: Store
  readonly drainMs: number
}

/**
 * The start and stop order. Stopping: no new messages (HTTP answers 503, readiness fails, the
 * stream closes: replies go by webhook, not by the socket), then the messages in flight are
 * answered within a bound, then everything closes, the store last.
 */
export class Lifecycle {
  constructor(private readonly parts: LifecycleParts) {}

  /** Starts the stream connection (in the background); idempotent. The server's listen does it too. */
  start(): void {
    this.parts.stream?.start()
  }

  async stop(): Promise<void> {
    const { intake, log, server, readiness, stream, bot, ledger, store, drainMs } = this.parts
    intake.open = false
    readiness.setDraining()
    await stream?.stop()
    ledger.stopWaiting()
    const { pending } = await bot.drain(drainMs)
    ledger.close()
    if (pending > 0) log.warn({ pending }, 'shutdown: replies still in flight after the drain bound')
    await server.close()
    await store.close()
  }
}
