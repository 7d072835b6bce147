import type { EventHandler } from '../event.js'
import type { EventFlowContext } from '../event-context.js'
import type { Step } from '../pipeline.js'

/**
 * The event flow's last step: every handler the features registered for the event's type, one
 * after the other in feature order (`Assembled.events`). No handler: `ignored`. Each handler runs
 * even when one before it threw (one feature's trouble does not hold back another's news); then
 * the first error goes on to the error boundary (several: all of them, as one AggregateError), and
 * the event is pushed again, to every handler: handlers are idempotent.
 */
export function dispatchEvent(table: ReadonlyMap<string, readonly EventHandler[]>): Step<EventFlowContext> {
  return async (ctx) => {
    const handlers = table.get(ctx.event.type)
    if (!handlers || handlers.length === 0) {
      ctx.outcome = 'ignored'
      return
    }
    const handlerCtx = ctx.handlerContext()
    const errors: unknown[] = []
    for (const handler of handlers) {
      ctx.handlers++
      try {
        await handler(handlerCtx)
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} event handlers failed`)
    ctx.outcome = 'handled'
  }
}

/** The error boundary's part for an event: `failed`, so the transport asks DingTalk to push it again. */
export async function eventFailed(ctx: EventFlowContext): Promise<void> {
  ctx.outcome = 'failed'
}
