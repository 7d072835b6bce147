import type { MessageContext } from '../context.js'
import type { Step } from '../pipeline.js'

/** The command the route step chose, run; its reply is the answer. Errors go to the boundary. */
export function runCommand(): Step<MessageContext> {
  return async (ctx) => {
    const invocation = ctx.invocation
    if (!invocation) return
    ctx.reply = await invocation.command.run(invocation.context)
    ctx.result = 'ok'
  }
}
