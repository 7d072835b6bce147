import type { Config } from '../config.js'
import { type Flight, LocalFlight, lockKeyspace, SharedFlight } from '../core/flight.js'
import { Delivery, type RobotReplies } from '../delivery/delivery.js'
import { NoticeSender } from '../delivery/notice.js'
import { Pacer } from '../delivery/pacer.js'
import { RobotSender } from '../delivery/robot-api.js'
import { WebhookSender } from '../delivery/webhook.js'
import { DingTalkApi } from '../dingtalk/api.js'
import { ApiBudget, budgetKeyspace } from '../dingtalk/budget.js'
import { CardClient } from '../dingtalk/cards.js'
import { ConferenceClient } from '../dingtalk/conference.js'
import { DingTalkHttp, type FetchFn } from '../dingtalk/http.js'
import type { JsonPost } from '../dingtalk/post.js'
import { type AccessTokens, TokenProvider, tokenKeyspace } from '../dingtalk/token.js'
import { UsageLedger, usageKeyspace } from '../dingtalk/usage.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../ops/metrics.js'
import type { Keyspace } from '../store/keyspaces.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'
import type { Tuning } from './tuning.js'

export interface PlatformDeps {
  readonly config: Config
  readonly log: Logger
  readonly clock: () => number
  readonly fetch: FetchFn | undefined
  /** The session webhook's POST (undici's `request`, or over an injected `fetch`). */
  readonly post: JsonPost
  readonly store: Store
  readonly metrics: Metrics
  readonly tuning: Tuning
}

/** What one org's API use goes through: its token, its usage ledger and quota, its senders. */
export interface OrgPlatform {
  readonly tokens: AccessTokens
  readonly api: DingTalkApi
  readonly conferences: ConferenceClient
  /** Interactive cards: create and deliver, update by key. */
  readonly cards: CardClient
  readonly usage: UsageLedger
  /** Replies through the robot OpenAPI when the session webhook cannot be used. */
  readonly robot: RobotSender
  /** Proactive notices (a watched meeting started): to a chat, not in answer to a message. */
  readonly notices: NoticeSender
  /** One upstream call for all callers (and all instances, on a shared store). */
  readonly flight: Flight
}

/** DingTalk as the bot talks to it: one HTTP client, one token, the API and the ways to reply. */
export interface Platform extends OrgPlatform {
  readonly tokens: TokenProvider
  readonly delivery: Delivery
  readonly keyspaces: readonly Keyspace[]
}

/** What every org shares: the app's request rate, the webhook sender, the per-chat pacing. */
export interface SharedSending {
  readonly budget: ApiBudget
  readonly webhook: WebhookSender
  /** Replies and notices share the per-chat pacing: DingTalk's limit is per chat, whatever the message. */
  readonly pacer: Pacer
}

export const PLATFORM_KEYSPACES: readonly Keyspace[] = [
  budgetKeyspace,
  usageKeyspace,
  tokenKeyspace,
  lockKeyspace,
]

export function sharedSending(deps: PlatformDeps): SharedSending {
  const { config, clock, store, tuning } = deps
  return {
    budget: new ApiBudget(store, config.apiQps, clock),
    webhook: new WebhookSender(config.dingtalk.oapiBase, config.dingtalk.timeoutMs, deps.post),
    pacer: new Pacer(tuning.pacing, clock),
  }
}

/** One HTTP client to DingTalk's OpenAPI, counting its calls in `usage` (and the metrics). */
export function dingtalkHttp(deps: PlatformDeps, budget: ApiBudget, usage: UsageLedger): DingTalkHttp {
  const { config, metrics } = deps
  return new DingTalkHttp({
    baseUrl: config.dingtalk.apiBase,
    timeoutMs: config.dingtalk.timeoutMs,
    fetch: deps.fetch,
    budget,
    observe: (api, status, ms) => {
      metrics.upstreamCalls.inc({ api, status })
      metrics.upstreamSeconds.observe({ api }, ms / 1000)
      void usage.record(api, status)
    },
  })
}

/** A dead holder's lock lapses fast: at most 10 s, or the lease. */
function flightOn(store: Store, tuning: Tuning): Flight {
  return store.shared
    ? new SharedFlight(store, { lockTtlMs: Math.min(tuning.dedupe.leaseMs, 10_000) })
    : new LocalFlight()
}

export interface OrgParts {
  /** The org's view of the store (all of it, for an internal app). */
  readonly store: Store
  readonly http: DingTalkHttp
  readonly tokens: AccessTokens
  readonly usage: UsageLedger
  readonly shared: SharedSending
  /** Cards of a third-party app address people by unionId (`userIdType` 2). */
  readonly userIdType?: 1 | 2
}

/** The API clients and senders of one org, over its token, store and ledger. */
export function orgPlatform(deps: PlatformDeps, parts: OrgParts): OrgPlatform {
  const { config, log, clock, tuning } = deps
  const { store, http, tokens, usage, shared } = parts
  const api = new DingTalkApi(http, tokens, tuning.retry, log.child({ component: 'dingtalk' }), clock)
  const robot = new RobotSender(api, config.dingtalk.robotCode)
  const notices = new NoticeSender({
    webhook: shared.webhook,
    robot,
    pacer: shared.pacer,
    // A watch keeps its chat's session webhook (a bearer URL) sealed with the app secret.
    box: new Sealer(config.dingtalk.clientSecret, config.dingtalk.clientId, 'notice'),
    opts: tuning.delivery,
    clock,
  })
  return {
    tokens,
    api,
    conferences: new ConferenceClient(api),
    cards: new CardClient(api, config.dingtalk.robotCode, parts.userIdType ?? 1),
    usage,
    robot,
    notices,
    flight: flightOn(store, tuning),
  }
}

/** The replies' way out: inline, session webhook, else the robot OpenAPI of `robot`. */
export function replyDelivery(deps: PlatformDeps, shared: SharedSending, robot: RobotReplies): Delivery {
  return new Delivery(shared.webhook, robot, shared.pacer, deps.tuning.delivery, deps.clock)
}

/** An internal app: one org, the app's own token. */
export function createPlatform(deps: PlatformDeps): Platform {
  const { config, clock, store, tuning } = deps
  const shared = sharedSending(deps)
  const usage = new UsageLedger(store, clock)
  const http = dingtalkHttp(deps, shared.budget, usage)
  const flight = flightOn(store, tuning)
  const tokens = new TokenProvider({
    http,
    clientId: config.dingtalk.clientId,
    clientSecret: config.dingtalk.clientSecret,
    clock,
    ...(store.shared ? { shared: { store, flight } } : {}),
  })
  const org = orgPlatform(deps, { store, http, tokens, usage, shared })
  return {
    ...org,
    tokens,
    flight,
    delivery: replyDelivery(deps, shared, org.robot),
    keyspaces: PLATFORM_KEYSPACES,
  }
}
