import type { FlowObserver, MessageContext } from '../context.js'
import type { Step } from '../pipeline.js'
import type { RateVerdict } from '../rate-limit.js'
import { textReply } from '../reply.js'
import { coreStrings } from '../strings.js'

export interface RateLimit {
  check(senderKey: string): Promise<RateVerdict>
}

/**
 * Per sender, before anything is read: the first message over the limit gets a friendly refusal,
 * later ones in the window are ignored (and counted), so a flood cannot make the bot flood the
 * chat. A limiter that fails lets the message through.
 */
export function rateLimit(limiter: RateLimit, observer?: FlowObserver): Step<MessageContext> {
  return async (ctx, next) => {
    const { sender, org } = ctx.msg
    // A staff id is unique in its org only: a third-party app's orgs never share a budget.
    const who = sender.staffId || sender.id
    const verdict = await limiter.check(org ? `${org.corpId}/${who}` : who).catch(() => 'allow' as const)
    if (verdict === 'allow') return next()
    observer?.rateLimited(ctx, verdict === 'refuse' ? 'refused' : 'ignored')
    ctx.log.info({ sender: sender.staffId, action: verdict }, 'sender over the rate limit')
    ctx.result = 'rate-limited'
    if (verdict === 'refuse')
      ctx.reply = textReply(coreStrings(await ctx.chatLocale()).rateLimited, ctx.mention)
  }
}
