import { randomBytes } from 'node:crypto'
import type { Config } from '../config.js'
import { Bot } from '../core/bot.js'
import type { CardActionFlowContext } from '../core/card-action-context.js'
import type { ChatSource, FlowObserver, MessageContext } from '../core/context.js'
import { cardDedupeKeyspace, Deduper, dedupeKeyspace, eventDedupeKeyspace } from '../core/dedupe.js'
import type { EventFlowContext } from '../core/event-context.js'
import type { Assembled } from '../core/feature.js'
import { Inbox, inboxKeyspace, livenessKeyspace } from '../core/inbox.js'
import { compose, type Step } from '../core/pipeline.js'
import { rateKeyspace, UserRateLimiter } from '../core/rate-limit.js'
import { Recovery } from '../core/recovery.js'
import { content } from '../core/steps/content.js'
import { dedupe } from '../core/steps/dedupe.js'
import { type Deliverer, deliver } from '../core/steps/deliver.js'
import { cardActionFailed, dispatchCardAction } from '../core/steps/dispatch-card-action.js'
import { dispatchEvent, eventFailed } from '../core/steps/dispatch-event.js'
import { errorBoundary, errorReply } from '../core/steps/error-boundary.js'
import { type RateLimit, rateLimit } from '../core/steps/rate-limit.js'
import { rateLimitClicks } from '../core/steps/rate-limit-clicks.js'
import { cardActionReport, eventReport, messageReport, report } from '../core/steps/report.js'
import { route } from '../core/steps/route.js'
import { runCommand } from '../core/steps/run-command.js'
import { type ScopedFlow, scoped } from '../core/steps/scope.js'
import type { Logger } from '../logger.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'
import type { Tuning } from './tuning.js'

export interface PipelineDeps {
  readonly config: Config
  readonly log: Logger
  readonly clock: () => number
  readonly store: Store
  readonly tuning: Tuning
  readonly features: Assembled
  /** Where a message's chat settings come from (its org's, for a third-party app). */
  readonly settings: ChatSource
  readonly delivery: Deliverer
  readonly observer: FlowObserver
  readonly inbox: Inbox
  /**
   * A third-party app's orgs: each item's org serves it with its own features (`innerFlows` of
   * that org's). Without it (an internal app) `features` serve everything.
   */
  readonly scoping?: Scoping
}

/** Picks the flows of the org an item belongs to; throws why none serves it (answered honestly). */
export interface Scoping {
  message(ctx: MessageContext): Promise<ScopedFlow<MessageContext>>
  event(ctx: EventFlowContext): Promise<ScopedFlow<EventFlowContext>>
  cardAction(ctx: CardActionFlowContext): Promise<ScopedFlow<CardActionFlowContext>>
}

/** The part of each flow that a set of features decides: routing and running, dispatching. */
export interface InnerFlows {
  readonly message: ScopedFlow<MessageContext>
  readonly event: ScopedFlow<EventFlowContext>
  readonly cardAction: ScopedFlow<CardActionFlowContext>
}

/** The features' part of the three flows, composed once (per org of a third-party app). */
export function innerFlows(features: Assembled, deps: Pick<PipelineDeps, 'config' | 'clock'>): InnerFlows {
  return {
    message: compose(messageTail(features, deps)),
    event: compose([dispatchEvent(features.events)]),
    cardAction: compose([dispatchCardAction(features.cardActions)]),
  }
}

function messageTail(
  features: Assembled,
  deps: Pick<PipelineDeps, 'config' | 'clock'>,
): Step<MessageContext>[] {
  const { config, clock } = deps
  return [
    route({ ...routing(features), admins: config.admins, qualifiedAdmins: config.appType === 'isv', clock }), // the command, admin gate, audit line
    errorBoundary(features.failures, errorReply), // any error: an honest reply with a reference id
    runCommand(), // the command itself
  ]
}

/** The core's own keyspaces: the de-dup ledgers, the inbox, the rate windows (chat settings apart). */
export const PIPELINE_KEYSPACES = [
  dedupeKeyspace,
  eventDedupeKeyspace,
  cardDedupeKeyspace,
  inboxKeyspace,
  livenessKeyspace,
  rateKeyspace,
]

/**
 * How long a done card click is remembered: DingTalk pushes an unacked click again after about
 * 2 s, and a person who presses the same button twice within this window has it run once. Short
 * on purpose: a Refresh pressed a minute later is a new click.
 */
export const CLICK_WINDOW_MS = 10_000

export interface Core {
  readonly bot: Bot
  readonly ledger: Deduper
  /**
   * The card clicks' ledger: a `Deduper` of its own (its memory is the click window, not the
   * messages' 15 minutes). Stop and close it with the messages' ledger.
   */
  readonly cardLedger: Deduper
  /** Answers what the inbox owes from before a restart, or from a dead replica. */
  readonly recovery: Recovery
}

/** What the bot owes answers, recorded before DingTalk hears "received" (`core/inbox.ts`). */
export function createInbox(
  deps: Pick<PipelineDeps, 'config' | 'log' | 'clock' | 'store' | 'tuning'>,
): Inbox {
  const { config } = deps
  return new Inbox(deps.store, {
    owner: randomBytes(6).toString('hex'),
    // The messages carry session webhooks (bearer URLs): sealed at rest with the app secret.
    codec: new Sealer(config.dingtalk.clientSecret, config.dingtalk.clientId, 'inbox'),
    log: deps.log.child({ component: 'inbox' }),
    leaseMs: deps.tuning.dedupe.leaseMs,
    clock: deps.clock,
  })
}

/**
 * THE message flow, top to bottom. A step acts on the way down (de-dup, rate limit, content,
 * route), on the way back up (deliver, report, mark done), or around the rest (the error boundary
 * around the command's work). Composed once here; `Bot` runs it per message.
 */
export function createBot(deps: PipelineDeps): Core {
  const { config, log, clock, store, tuning, features, observer, scoping } = deps
  const { inbox } = deps
  const ledger = new Deduper(store, tuning.dedupe)
  const limiter = new UserRateLimiter(store, { limit: config.userRateLimit, windowMs: 60_000 }, clock)
  const cardLedger = new Deduper(
    store,
    { leaseMs: tuning.dedupe.leaseMs, ttlMs: CLICK_WINDOW_MS },
    cardDedupeKeyspace.prefix,
  )
  const steps: Step<MessageContext>[] = [
    dedupe(ledger, { observer, inbox }), // pushed again, or on both transports: no further
    report(clock, messageReport(observer)), // one log line and the counters, once the rest is through
    deliver(deps.delivery), // what the steps below decided to say goes out
    rateLimit(limiter, observer), // a flooding sender is told once, then ignored
    content(), // text goes on; pictures get "send me text"
    ...(scoping
      ? [
          errorBoundary(features.failures, errorReply), // no org can serve it: an honest reply and a ref
          speaksAs(features), // that reply in the command word's language, as the org's route would
          scoped(scoping.message), // the org's own route, error boundary and command
        ]
      : messageTail(features, deps)),
  ]
  const bot = new Bot({
    flow: compose(steps),
    eventFlow: compose(eventSteps(deps, ledger.forKeyspace(eventDedupeKeyspace))),
    cardFlow: compose(cardActionSteps(deps, cardLedger, limiter)),
    chat: deps.settings,
    log,
    clock,
    inbox,
    ledger,
    maxPending: config.maxPending,
  })
  // With replicas, a dead one's messages are looked for twice a lease; alone, once at start.
  const recovery = new Recovery(inbox, bot, {
    log: log.child({ component: 'inbox' }),
    everyMs: store.shared ? Math.floor(tuning.dedupe.leaseMs / 2) : 0,
    concurrency: tuning.stream.maxInFlight ?? 64,
  })
  return { bot, ledger, cardLedger, recovery }
}

/**
 * THE event flow (EVENT frames: meeting started, ended, members joined...), from the same steps
 * as the message flow where they serve both. The report comes first, so that every event gets
 * one line and one count whatever became of it, duplicates too (its outcome decides the ack).
 * A failed event's claim is forgotten, not marked done: DingTalk pushes it again (ack `LATER`).
 */
function eventSteps(deps: PipelineDeps, ledger: Deduper): Step<EventFlowContext>[] {
  const { clock, features, observer } = deps
  return [
    report(clock, eventReport(observer)), // one line and the counters per event, duplicates included
    dedupe(ledger, { retryFailed: true }), // by eventId; a failure is forgotten, for the re-push
    errorBoundary(features.failures, eventFailed, 'event handler failed'), // logged with a ref: failed
    // every handler of the type, in feature order; none: ignored (of the event's org, for an ISV app)
    deps.scoping ? scoped(deps.scoping.event) : dispatchEvent(features.events),
  ]
}

/**
 * THE card click flow (a button pressed on an interactive card, over Stream or HTTP), from the
 * same steps again. Report first, as for events: every click gets its audit line and its count,
 * duplicates too. De-dup by the click's content-derived id within the click window; a failed
 * click is forgotten, so pressing the button again runs it. The rate limit is per person, with
 * the messages' limiter (a budget of its own). Whatever happens, the flow resolves: the
 * transport answers DingTalk within 2 s with the handler's card data, or with nothing.
 */
function cardActionSteps(
  deps: PipelineDeps,
  ledger: Deduper,
  limiter: RateLimit,
): Step<CardActionFlowContext>[] {
  const { clock, features, observer } = deps
  return [
    report(clock, cardActionReport(observer, features.cardActions)), // the audit line and the counters
    dedupe(ledger, { retryFailed: true }), // a re-push or a second press in the window: duplicate
    rateLimitClicks(limiter), // per person; over it: ignored, logged
    errorBoundary(features.failures, cardActionFailed, 'card action failed'), // a ref; failed, no data
    // the action's handler; none: ignored (of the card's org, for an ISV app)
    deps.scoping ? scoped(deps.scoping.cardAction) : dispatchCardAction(features.cardActions),
  ]
}

/** The answer's language from the command word alone (the org's route decides it again). */
function speaksAs({ registry }: Assembled): Step<MessageContext> {
  return (ctx, next) => {
    const match = registry.match(ctx.text)
    if (match.kind !== 'empty') ctx.locale = match.locale ?? ctx.locale
    return next()
  }
}

function routing({ registry, onEmpty, fallbacks }: Assembled) {
  return { registry, onEmpty, fallbacks }
}
