import type { InboundContext, MessageContext } from '../context.js'
import type { Failure, Failures } from '../errors.js'
import type { Step } from '../pipeline.js'
import { newRefId } from '../refid.js'
import { textReply } from '../reply.js'
import { coreStrings } from '../strings.js'

/**
 * Every error of the work below it is caught here: logged with a short reference id at the level
 * its failure says (as `line`), then `answer` says what follows for the item: a message is
 * answered with an honest sentence and that id; an event is `failed`, for DingTalk to push again.
 */
export function errorBoundary<C extends InboundContext>(
  failures: Failures,
  answer?: (ctx: C, failure: Failure, ref: string) => Promise<void>,
  line = 'command failed',
): Step<C> {
  const fail = async (ctx: C, err: unknown): Promise<void> => {
    const ref = newRefId()
    const failure = failures.explain(err)
    ctx.log[failure.level]({ err, ref, failure: failure.key, command: ctx.command }, line)
    ctx.result = 'error'
    ctx.ref = ref
    await answer?.(ctx, failure, ref)
  }
  // A plain `catch` on the rest: no promise of its own when nothing fails.
  return (ctx, next) => next().catch((err: unknown) => fail(ctx, err))
}

/** A message's error answer: the failure's sentence and the reference id, in the answer's language. */
export async function errorReply(ctx: MessageContext, failure: Failure, ref: string): Promise<void> {
  const locale = ctx.locale ?? (await ctx.chatLocale())
  ctx.reply = textReply(`${failure.text[locale]} ${coreStrings(locale).reference(ref)}`, ctx.mention)
}
