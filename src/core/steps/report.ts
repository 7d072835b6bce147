import type { FlowObserver, HandledReport, InboundContext } from '../context.js'
import type { Step } from '../pipeline.js'

/**
 * One log line per handled message (command, result, outcome, delivery path, duration, ref) and
 * the counters behind `/status` and `/metrics`. The last line of defence too: a step that throws
 * despite its own care makes the message `failed`, logged, never a crash.
 */
export function report(clock: () => number, observer?: FlowObserver): Step<InboundContext> {
  return async (ctx, next) => {
    try {
      await next()
    } catch (err) {
      ctx.outcome = 'failed'
      ctx.log.error({ err, command: ctx.command }, 'message handling failed')
    }
    const handled: HandledReport = {
      command: ctx.command,
      result: ctx.result,
      outcome: ctx.outcome,
      path: ctx.path,
      durationMs: clock() - ctx.started,
    }
    ctx.log.info({ ...handled, ref: ctx.ref }, 'message handled')
    observer?.handled(ctx, handled)
  }
}
