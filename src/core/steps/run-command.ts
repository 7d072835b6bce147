import type { MessageContext } from '../context.js'
import { isSelfDelivered } from '../message.js'
import type { Step } from '../pipeline.js'

const DONE = Promise.resolve()

/**
 * The command the route step chose, run; its reply is the answer (or it sent its answer itself,
 * by the path it names: then there is nothing for the deliver step). Errors go to the boundary.
 */
export function runCommand(): Step<MessageContext> {
  return (ctx) => {
    const invocation = ctx.invocation
    if (!invocation) return DONE
    return invocation.command.run(invocation.context).then((answer) => {
      ctx.result = 'ok'
      if (!isSelfDelivered(answer)) {
        ctx.reply = answer
        return
      }
      ctx.path = answer.delivered
      ctx.outcome = 'answered'
    })
  }
}
