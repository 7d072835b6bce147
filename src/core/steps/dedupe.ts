import type { FlowObserver, InboundContext } from '../context.js'
import type { Step } from '../pipeline.js'

/** The de-duplication ledger as this step uses it (`core/dedupe.ts`). */
export interface Ledger {
  /** True when this delivery is the one that answers; false for a duplicate. */
  claim(id: string): Promise<boolean>
  done(id: string): Promise<void>
}

/**
 * First: a message pushed again, or arriving on both transports, goes no further. Once the rest
 * of the flow is through, the message is marked done. A ledger that cannot answer means the
 * message is not handled (answering it might answer it twice).
 */
export function dedupe(ledger: Ledger, observer?: FlowObserver): Step<InboundContext> {
  return async (ctx, next) => {
    let claimed: boolean
    try {
      claimed = await ledger.claim(ctx.id)
    } catch (err) {
      ctx.log.error({ err }, 'de-duplication ledger unavailable; message not handled')
      ctx.outcome = 'failed'
      return
    }
    if (!claimed) {
      ctx.log.info('duplicate delivery ignored')
      observer?.duplicate(ctx)
      ctx.outcome = 'duplicate'
      return
    }
    try {
      await next()
    } finally {
      await ledger.done(ctx.id).catch((err: unknown) => ctx.log.warn({ err }, 'could not mark message done'))
    }
  }
}
