import type { FastifyInstance } from 'fastify'
import type { Bot } from '../core/bot.js'
import type { Deduper } from '../core/dedupe.js'
import type { Recovery } from '../core/recovery.js'
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
  readonly recovery: Recovery
  readonly bot: Bot
  readonly ledger: Deduper
  /** The card clicks' ledger (its own, with a 10 s memory). */
  readonly cardLedger?: Deduper
  readonly store: Store
  /** The features' background work (the watch poller): started last, stopped with the intake. */
  readonly background: ReadonlyArray<{ start(): void; stop(): Promise<void> }>
  readonly drainMs: number
}

/**
 * The start and stop order. Starting (once the server listens): what the inbox owes from before,
 * then the stream, then background work. Stopping: no new messages (HTTP answers 503, readiness
 * fails, the stream closes: replies go by webhook, not by the socket; no more inbox sweeps, no more
 * polls, notices in flight finish within a bound), then the messages in
 * flight are answered within a bound (what is not stays in the inbox), then everything closes,
 * the store last.
 */
export class Lifecycle {
  constructor(private readonly parts: LifecycleParts) {}

  /** Answers what the inbox owes, starts the stream and the background work; idempotent. */
  start(): void {
    this.parts.recovery.start()
    this.parts.stream?.start()
    for (const job of this.parts.background) job.start()
  }

  async stop(): Promise<void> {
    const { intake, log, server, readiness, stream, recovery, bot, ledger, store, drainMs } = this.parts
    intake.open = false
    readiness.setDraining()
    await stream?.stop()
    await recovery.stop()
    await Promise.all(this.parts.background.map((job) => job.stop()))
    ledger.stopWaiting()
    this.parts.cardLedger?.stopWaiting()
    const { pending } = await bot.drain(drainMs)
    await recovery.settled()
    ledger.close()
    this.parts.cardLedger?.close()
    if (pending > 0) log.warn({ pending }, 'shutdown: replies still in flight after the drain bound')
    await server.close()
    await store.close()
  }
}
