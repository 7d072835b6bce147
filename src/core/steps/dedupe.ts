import type { FlowObserver, InboundContext } from '../context.js'
import type { Claim } from '../dedupe.js'
import type { Step } from '../pipeline.js'

/** The de-duplication ledger as this step uses it (`core/dedupe.ts`). */
export interface Ledger {
  acquire(id: string, opts?: { readonly waitForOwn?: boolean }): Promise<Claim>
  done(id: string): Promise<void>
  forget(id: string): Promise<void>
}

/** Where a message the bot owes an answer is recorded (`core/inbox.ts`): it leaves once answered. */
export interface Owed {
  release(id: string): Promise<void>
  /** Not handled now: stays owed, and is handed over again later (`Inbox.retry`). */
  retry(id: string): void
}

export interface DedupeStepOptions {
  /** Told of each duplicate (the message counters; the event flow counts in its report instead). */
  readonly observer?: FlowObserver
  /** Messages: the inbox entry leaves once the message is done. */
  readonly inbox?: Owed
  /**
   * For a kind whose sender pushes again what failed (platform events, acked `LATER`): a failed
   * item's claim is forgotten, not marked done, so the next push runs it again; and a push that
   * finds the same id still being handled here waits for that outcome instead of being a
   * duplicate at once (were the first to fail, the copy's ack would have ended the re-pushes).
   */
  readonly retryFailed?: boolean
}

/**
 * A message (or event) pushed again, or arriving on both transports, goes no further. Once the
 * rest of the flow is through (the answer delivered, or its failure logged), the item is marked
 * done and, for a message, leaves the inbox, in that order: a crash between the two finds it done.
 * A ledger that cannot answer means the item is not handled (handling it might handle it twice);
 * a message stays in the inbox for a later try, an event is pushed again. So does a message whose
 * claim someone else holds: should that one never answer, the later try takes it over.
 */
export function dedupe(ledger: Ledger, opts: DedupeStepOptions = {}): Step<InboundContext> {
  const { observer, inbox, retryFailed = false } = opts
  const release = async (ctx: InboundContext): Promise<void> => {
    await inbox
      ?.release(ctx.id)
      .catch((err: unknown) => ctx.log.warn({ err }, 'could not clear the inbox entry'))
  }
  const acquireOpts = { waitForOwn: retryFailed }
  return async (ctx, next) => {
    let claim: Claim
    try {
      claim = await ledger.acquire(ctx.id, acquireOpts)
    } catch (err) {
      ctx.log.error({ err }, 'de-duplication ledger unavailable; not handled, tried again later')
      ctx.outcome = 'failed'
      inbox?.retry(ctx.id)
      return
    }
    if (claim !== 'claimed') {
      ctx.log.info('duplicate delivery ignored')
      observer?.duplicate(ctx)
      ctx.outcome = 'duplicate'
      // Answered already: nothing is owed any more. Being answered elsewhere: looked at again later,
      // when it is answered (and released then) or its claim has lapsed (and answered here).
      if (claim === 'answered') void release(ctx)
      else inbox?.retry(ctx.id)
      return
    }
    let threw = true
    try {
      await next()
      threw = false
    } finally {
      // The claim's end first, then the release, issued together: SQLite commits both in one
      // batch, Redis runs them in order on one connection. Awaiting "done" before the release (a
      // Redis round trip) was more time in which a kill answers the message twice. The release
      // is not awaited: its commit is on its way either way, and a message must not hold its
      // place in flight while the writer commits it.
      const ended =
        retryFailed && (threw || ctx.outcome === 'failed')
          ? ledger.forget(ctx.id).catch((err: unknown) => ctx.log.warn({ err }, 'could not forget the claim'))
          : ledger.done(ctx.id).catch((err: unknown) => ctx.log.warn({ err }, 'could not mark message done'))
      void release(ctx)
      await ended
    }
  }
}
