import type { Logger } from '../logger.js'

export interface BackgroundLoopOptions {
  /** One pass over the work; passes never overlap. */
  readonly pass: () => Promise<void>
  /** How often a pass is due, read at `start` (one still running then is not started twice). */
  readonly everyMs: () => number
  readonly log: Logger
  /** Names the work in the line of a background job that failed (`watch`, `live card`). */
  readonly name: string
  /** How long `stop` waits for the pass and the jobs in flight, at most. */
  readonly stopWaitMs?: number
}

const STOP_WAIT_MS = 5000

/**
 * A feature's work on a period (the watch poller, the live-card passes): a pass every `everyMs`
 * that never overlaps the one before, and jobs started between passes (`background`: an event's
 * notice, a click's slow part), all counted so that `stop` waits for them, bounded. Once stopped,
 * nothing new starts: what is left is the next pass's, after a restart or on another replica.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private readonly inFlight = new Set<Promise<unknown>>()
  private done = false

  constructor(private readonly opts: BackgroundLoopOptions) {}

  /** True once `stop` was called: a pass checks it between items. */
  get stopped(): boolean {
    return this.done
  }

  /** Passes every `everyMs` from now on; idempotent. */
  start(): void {
    if (this.timer || this.done) return
    this.timer = setInterval(() => void this.tick(), this.opts.everyMs())
    this.timer.unref()
  }

  /** One pass now, unless one is running (then that one's end). */
  tick(): Promise<void> {
    if (this.ticking || this.done) return this.ticking ?? Promise.resolve()
    this.ticking = this.opts.pass().finally(() => {
      this.ticking = undefined
    })
    return this.ticking
  }

  /** Runs `work` now, counted for `stop`; what it throws is logged. Once stopped, nothing runs. */
  background(work: () => Promise<unknown>): void {
    if (this.done) return
    const p = work().catch((err: unknown) =>
      this.opts.log.warn({ err }, `${this.opts.name}: background work failed`),
    )
    this.inFlight.add(p)
    void p.finally(() => this.inFlight.delete(p))
  }

  /** No more passes or jobs; waits (bounded) for the ones in flight. */
  async stop(): Promise<void> {
    this.done = true
    clearInterval(this.timer)
    this.timer = undefined
    const all = Promise.allSettled([this.ticking, ...this.inFlight])
    const bound = this.opts.stopWaitMs ?? STOP_WAIT_MS
    await Promise.race([all, new Promise((r) => setTimeout(r, bound).unref())])
  }
}
