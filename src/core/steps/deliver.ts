import type { Logger } from '../../logger.js'
import type { MessageContext } from '../context.js'
import type { InboundMessage, Reply, ReplySink } from '../message.js'
import type { Step } from '../pipeline.js'
import { textReply } from '../reply.js'
import { coreStrings } from '../strings.js'

export interface DeliverRequest {
  readonly msg: InboundMessage
  readonly reply: Reply
  readonly log: Logger
  /** The transport's own slot for the answer (the HTTP response), if it is still open. */
  readonly sink?: ReplySink | undefined
  /** Made only when needed: said once when a chat goes over the sending budget and replies wait. */
  readonly slowDownNotice?: () => Reply | Promise<Reply>
}

/** What gets a reply to DingTalk (`delivery/`): resolves the path it took, rejects when it failed. */
export interface Deliverer {
  deliver(req: DeliverRequest): Promise<string>
}

/**
 * After the rest of the flow has decided what to say: send it. A reply that cannot be delivered
 * is logged with its reason (a failure with a `reason` says which); no reply means `ignored`.
 */
export function deliver(deliverer: Deliverer): Step<MessageContext> {
  return async (ctx, next) => {
    await next()
    const reply = ctx.reply
    if (!reply) return
    try {
      ctx.path = await deliverer.deliver({
        msg: ctx.msg,
        reply,
        log: ctx.log,
        sink: ctx.sink,
        slowDownNotice: async () => textReply(coreStrings(await ctx.chatLocale()).slowDown),
      })
      ctx.outcome = 'answered'
    } catch (err) {
      ctx.outcome = 'failed'
      const reason = (err as { reason?: unknown }).reason
      ctx.log.error(
        { err, reason: typeof reason === 'string' ? reason : 'failed', command: ctx.command, ref: ctx.ref },
        'reply not delivered',
      )
    }
  }
}
