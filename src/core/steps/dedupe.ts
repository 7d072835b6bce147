import type { FlowObserver, InboundContext } from '../context.js'
import type { Claim } from '../dedupe.js'
import type { Step } from '../pipeline.js'

/** The de-duplication ledger as this step uses it (`core/dedupe.ts`). */
export interface Ledger {
  acquire(id: string): Promise<Claim>
  done(id: string): Promise<void>
}

/** Where a message the bot owes an answer is recorded (`core/inbox.ts`): it leaves once answered. */
export interface Owed {
  release(id: string): Promise<void>
}

/**
 * First: a message pushed again, or arriving on both transports, goes no further. Once the rest
 * of the flow is through (the answer delivered, or its failure logged), the message is marked
 * done and leaves the inbox, in that order: a crash between the two finds it done. A ledger that
 * cannot answer means the message is not handled (answering it might answer it twice); it stays
 * in the inbox for a later try.
 */
export function dedupe(ledger: Ledger, observer?: FlowObserver, inbox?: Owed): Step<InboundContext> {
  const release = async (ctx: InboundContext): Promise<void> => {
    await inbox
      ?.release(ctx.id)
      .catch((err: unknown) => ctx.log.warn({ err }, 'could not clear the inbox entry'))
  }
  return async (ctx, next) => {
    let claim: Claim
    try {
      claim = await ledger.acquire(ctx.id)
    } catch (err) {
      ctx.log.error({ err }, 'de-duplication ledger unavailable; message not handled')
      ctx.outcome = 'failed'
      return
    }
    if (claim !== 'claimed') {
      ctx.log.info('duplicate delivery ignored')
      observer?.duplicate(ctx)
      ctx.outcome = 'duplicate'
      // Answered already: nothing is owed any more. Being answered elsewhere: that one clears it.
      if (claim === 'answered') void release(ctx)
      return
    }
    try {
      await next()
    } finally {
      await ledger.done(ctx.id).catch((err: unknown) => ctx.log.warn({ err }, 'could not mark message done'))
      // Not awaited: its commit (with "done" in the same batch) is on its way either way, and a
      // message must not hold its place in flight while the writer commits it.
      void release(ctx)
    }
  }
}
