import type { CardActionHandler } from '../card-action.js'
import type { CardActionFlowContext } from '../card-action-context.js'
import type { Step } from '../pipeline.js'

/**
 * The click flow's last step: the handler of the button's action (`Assembled.cardActions`, one
 * feature per action). Its card data is what the transport answers with. No handler (a template
 * with a button no feature answers, or a card from another build): `ignored`, logged. A handler
 * that throws: its error goes on to the error boundary.
 */
export function dispatchCardAction(
  table: ReadonlyMap<string, CardActionHandler>,
): Step<CardActionFlowContext> {
  return async (ctx) => {
    const handler = table.get(ctx.action.action)
    if (!handler) {
      ctx.log.info('unknown card action')
      ctx.outcome = 'ignored'
      return
    }
    const data = await handler(ctx.handlerContext())
    // Only a plain object is card data; anything else leaves the card as it is.
    ctx.data = data && typeof data === 'object' && !Array.isArray(data) ? data : undefined
    ctx.outcome = 'handled'
  }
}

/** The error boundary's part for a click: `failed`, no data (the card stays as it was). */
export async function cardActionFailed(ctx: CardActionFlowContext): Promise<void> {
  ctx.outcome = 'failed'
  ctx.data = undefined
}
