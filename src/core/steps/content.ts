import type { MessageContext } from '../context.js'
import type { Step } from '../pipeline.js'
import { textReply } from '../reply.js'
import { coreStrings } from '../strings.js'
import { normalizeText } from '../text.js'

/**
 * Text goes on, normalised. A picture or file gets a polite "send me text"; a message DingTalk
 * sent only to say it paused the org's robot messages cannot be answered at all. (Not `async`:
 * text, nearly every message, passes straight through without a promise of its own.)
 */
export function content(): Step<MessageContext> {
  return (ctx, next) => {
    const c = ctx.msg.content
    if (c.kind === 'text') {
      ctx.text = normalizeText(c.text)
      return next()
    }
    if (c.kind === 'platform-error') {
      ctx.log.warn({ code: c.code }, 'DingTalk paused robot messages for this org; nothing can be answered')
      ctx.result = 'platform-error'
      return DONE
    }
    return notText(ctx)
  }
}

const DONE = Promise.resolve()

async function notText(ctx: MessageContext): Promise<void> {
  ctx.reply = textReply(coreStrings(await ctx.chatLocale()).sendText, ctx.mention)
  ctx.result = 'unsupported'
}
