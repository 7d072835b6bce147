import type { Logger } from '../logger.js'
import type { Inbox } from './inbox.js'
import type { InboundMessage } from './message.js'
import type { InboundPort } from './port.js'

export interface RecoveryOptions {
  readonly log: Logger
  /** How often to look for a dead owner's messages (a replica that died); 0: only at start. */
  readonly everyMs: number
  /** Messages recovered at once, at most (the rest wait their turn). */
  readonly concurrency: number
  /** How long after a message was handed back (`Inbox.retry`) it is tried again. */
  readonly retryMs?: number
}

/**
 * Answers what the inbox says is owed and nobody alive is answering: at start-up, what this
 * instance had taken before it was killed; while running (with replicas), what a dead replica
 * left. Oldest first, through the same port as any message (so de-dup, report and delivery apply),
 * a bounded number at once. A message the inbox holds for this instance and that was not handled
 * when handed over (`Inbox.retry`) is tried again in a walk `retryMs` later.
 */
export class Recovery {
  private timer: NodeJS.Timeout | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  /** A walk was asked for while one ran: another follows it. */
  private rerun = false
  private stopped = false

  constructor(
    private readonly inbox: Inbox,
    private readonly port: InboundPort,
    private readonly opts: RecoveryOptions,
  ) {}

  /** The first sweep now, then every `everyMs`; idempotent. */
  start(): void {
    if (this.timer || this.running || this.stopped) return
    this.inbox.startLiveness()
    this.inbox.onRetry = () => this.retrySoon()
    void this.sweep()
    if (this.opts.everyMs > 0) {
      this.timer = setInterval(() => void this.sweep(), this.opts.everyMs)
      this.timer.unref()
    }
  }

  /** No more sweeps; waits for the one running (its messages are with the port, which drains them). */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    clearTimeout(this.retryTimer)
    this.timer = undefined
    this.inbox.onRetry = undefined
    this.inbox.stop()
    await this.running
  }

  /** After the drain: the inbox releases of the last answers reach the store before it closes. */
  settled(): Promise<void> {
    return this.inbox.settled()
  }

  /** One walk over the inbox; a walk asked for while one runs follows it (never two at once). */
  sweep(): Promise<void> {
    if (this.running) {
      this.rerun = true
      return this.running
    }
    this.running = this.walk().finally(() => {
      this.running = undefined
      if (this.rerun && !this.stopped) {
        this.rerun = false
        void this.sweep()
      }
    })
    return this.running
  }

  private retrySoon(): void {
    if (this.retryTimer || this.stopped) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.sweep()
    }, this.opts.retryMs ?? 1000)
    this.retryTimer.unref()
  }

  private async walk(): Promise<void> {
    let found: InboundMessage[]
    try {
      const orphans = await this.inbox.orphans()
      found = orphans.messages
      const recovered = found.length - orphans.retried
      if (recovered > 0 || orphans.tooOld > 0) {
        this.opts.log.info(
          { recovered, tooOld: orphans.tooOld },
          'answering messages left unanswered by a stopped instance',
        )
      }
      if (orphans.retried > 0) {
        this.opts.log.info({ retried: orphans.retried }, 'trying again messages not handled before')
      }
    } catch (err) {
      this.opts.log.error({ err }, 'could not read the inbox; trying again later')
      return
    }
    let next = 0
    const worker = async () => {
      while (next < found.length && !this.stopped) {
        const msg = found[next++] as InboundMessage
        await this.port.handle(msg)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, found.length) }, worker))
  }
}
