import type { CardActionFlowContext } from '../card-action-context.js'
import type { FlowObserver, HandledReport, InboundContext, MessageContext } from '../context.js'
import type { EventFlowContext } from '../event-context.js'
import type { Step } from '../pipeline.js'

/** What the report step writes and counts for one kind of inbound item. */
export interface Reporter<C extends InboundContext> {
  /** The line of a step below that threw despite its care (`message handling failed`). */
  readonly failedLine: string
  /** Writes the item's one line and counts it, once the rest is through. */
  handled(ctx: C, durationMs: number): void
}

/**
 * One log line per handled item and the counters behind `/status` and `/metrics` (what the line
 * says is its kind's `Reporter`). The last line of defence too: a step that throws despite its
 * own care makes the item `failed`, logged, never a crash.
 */
export function report<C extends InboundContext>(clock: () => number, reporter: Reporter<C>): Step<C> {
  return async (ctx, next) => {
    try {
      await next()
    } catch (err) {
      ctx.outcome = 'failed'
      ctx.log.error({ err, command: ctx.command }, reporter.failedLine)
    }
    reporter.handled(ctx, clock() - ctx.started)
  }
}

/** A message's line: command, result, outcome, delivery path, duration, ref. */
export function messageReport(observer?: FlowObserver): Reporter<MessageContext> {
  return {
    failedLine: 'message handling failed',
    handled(ctx, durationMs) {
      const handled: HandledReport = {
        command: ctx.command,
        result: ctx.result,
        outcome: ctx.outcome,
        path: ctx.path,
        durationMs,
      }
      ctx.log.info({ ...handled, ref: ctx.ref }, 'message handled')
      observer?.handled(ctx, handled)
    },
  }
}

/**
 * An event's line, whatever became of it (duplicates too: the event flow reports above its
 * de-dup, so every ack the transport sends is explained by one line): the outcome, how many
 * handlers ran, the duration and the ref of a failure; `eventId` and `eventType` are on its logger.
 */
export function eventReport(observer?: FlowObserver): Reporter<EventFlowContext> {
  return {
    failedLine: 'event handling failed',
    handled(ctx, durationMs) {
      ctx.log.info(
        { outcome: ctx.outcome, handlers: ctx.handlers, durationMs, ref: ctx.ref },
        'event handled',
      )
      observer?.event(ctx, { eventType: ctx.event.type, outcome: ctx.outcome, durationMs })
    },
  }
}

/**
 * A click's audit line, whatever became of it (duplicates and rate-limited clicks too: the click
 * flow reports above its de-dup): outcome, result, duration, the ref of a failure; the click id,
 * card, action, user and transport are on its logger (`cardActionLog`). `known` says which
 * actions some feature answers: the others are counted as `other`, so the label stays bounded.
 */
export function cardActionReport(
  observer: FlowObserver | undefined,
  known: { has(action: string): boolean },
): Reporter<CardActionFlowContext> {
  return {
    failedLine: 'card action handling failed',
    handled(ctx, durationMs) {
      ctx.log.info(
        { outcome: ctx.outcome, result: ctx.result, durationMs, ref: ctx.ref, audit: true },
        'card action handled',
      )
      const action = known.has(ctx.action.action) ? ctx.action.action : 'other'
      observer?.cardAction?.(ctx, { action, outcome: ctx.outcome, durationMs })
    },
  }
}
