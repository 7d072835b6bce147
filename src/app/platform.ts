import type { Config } from '../config.js'
import { type Flight, LocalFlight, lockKeyspace, SharedFlight } from '../core/flight.js'
import { Delivery } from '../delivery/delivery.js'
import { NoticeSender } from '../delivery/notice.js'
import { Pacer } from '../delivery/pacer.js'
import { RobotSender } from '../delivery/robot-api.js'
import { WebhookSender } from '../delivery/webhook.js'
import { DingTalkApi } from '../dingtalk/api.js'
import { ApiBudget, budgetKeyspace } from '../dingtalk/budget.js'
import { CardClient } from '../dingtalk/cards.js'
import { ConferenceClient } from '../dingtalk/conference.js'
import { DingTalkHttp, type FetchFn } from '../dingtalk/http.js'
import { TokenProvider, tokenKeyspace } from '../dingtalk/token.js'
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
  readonly store: Store
  readonly metrics: Metrics
  readonly tuning: Tuning
}

/** DingTalk as the bot talks to it: one HTTP client, one token, the API and the ways to reply. */
export interface Platform {
  readonly tokens: TokenProvider
  readonly api: DingTalkApi
  readonly conferences: ConferenceClient
  /** Interactive cards: create and deliver, update by key. */
  readonly cards: CardClient
  readonly usage: UsageLedger
  readonly delivery: Delivery
  /** Proactive notices (a watched meeting started): to a chat, not in answer to a message. */
  readonly notices: NoticeSender
  /** One upstream call for all callers (and all instances, on a shared store). */
  readonly flight: Flight
  readonly keyspaces: readonly Keyspace[]
}

export function createPlatform(deps: PlatformDeps): Platform {
  const { config, log, clock, store, metrics, tuning } = deps
  // A dead holder's lock lapses fast: at most 10 s, or the lease.
  const flight: Flight = store.shared
    ? new SharedFlight(store, { lockTtlMs: Math.min(tuning.dedupe.leaseMs, 10_000) })
    : new LocalFlight()
  const usage = new UsageLedger(store, clock)
  const http = new DingTalkHttp({
    baseUrl: config.dingtalk.apiBase,
    timeoutMs: config.dingtalk.timeoutMs,
    fetch: deps.fetch,
    budget: new ApiBudget(store, config.apiQps, clock),
    observe: (api, status, ms) => {
      metrics.upstreamCalls.inc({ api, status })
      metrics.upstreamSeconds.observe({ api }, ms / 1000)
      void usage.record(api, status)
    },
  })
  const tokens = new TokenProvider({
    http,
    clientId: config.dingtalk.clientId,
    clientSecret: config.dingtalk.clientSecret,
    clock,
    ...(store.shared ? { shared: { store, flight } } : {}),
  })
  const api = new DingTalkApi(http, tokens, tuning.retry, log.child({ component: 'dingtalk' }), clock)
  const webhook = new WebhookSender(config.dingtalk.oapiBase, config.dingtalk.timeoutMs, deps.fetch)
  const robot = new RobotSender(api, config.dingtalk.robotCode)
  // Replies and notices share the per-chat pacing: DingTalk's limit is per chat, whatever the message.
  const pacer = new Pacer(tuning.pacing, clock)
  const delivery = new Delivery(webhook, robot, pacer, tuning.delivery, clock)
  const notices = new NoticeSender({
    webhook,
    robot,
    pacer,
    // A watch keeps its chat's session webhook (a bearer URL) sealed with the app secret.
    box: new Sealer(config.dingtalk.clientSecret, config.dingtalk.clientId, 'notice'),
    opts: tuning.delivery,
    clock,
  })
  return {
    tokens,
    api,
    conferences: new ConferenceClient(api),
    cards: new CardClient(api, config.dingtalk.robotCode),
    usage,
    delivery,
    notices,
    flight,
    keyspaces: [budgetKeyspace, usageKeyspace, tokenKeyspace, lockKeyspace],
  }
}
