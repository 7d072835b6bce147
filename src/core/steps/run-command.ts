import type { MessageContext } from '../context.js'
import type { Step } from '../pipeline.js'

const DONE = Promise.resolve()

/** The command the route step chose, run; its reply is the answer. Errors go to the boundary. */
export function runCommand(): Step<MessageContext> {
  return (ctx) => {
    const invocation = ctx.invocation
    if (!invocation) return DONE
    return invocation.command.run(invocation.context).then((reply) => {
      ctx.reply = reply
      ctx.result = 'ok'
    })
  }
}
