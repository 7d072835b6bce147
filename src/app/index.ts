import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { Bot } from '../core/bot.js'
import type { CommandRegistry } from '../core/commands.js'
import type { ChatSource, FlowObserver } from '../core/context.js'
import type { Assembled, Feature } from '../core/feature.js'
import { ChatSettingsStore, settingsKeyspace } from '../core/settings.js'
import type { Deliverer } from '../core/steps/deliver.js'
import type { FetchFn } from '../dingtalk/http.js'
import { fetchPost, requestPost } from '../dingtalk/post.js'
import { createOutbound } from '../dingtalk/proxy.js'
import type { TokenProvider } from '../dingtalk/token.js'
import type { Background } from '../features/index.js'
import type { Logger } from '../logger.js'
import { Metrics } from '../ops/metrics.js'
import { type CheckResult, Readiness } from '../ops/readiness.js'
import { buildServer } from '../ops/server.js'
import { Stats } from '../ops/stats.js'
import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import type { StreamTransport } from '../transports/stream/supervisor.js'
import { VERSION } from '../version.js'
import { wireFeatures } from './features.js'
import { createIsv, type Isv } from './isv.js'
import { Lifecycle } from './lifecycle.js'
import { createBot, createInbox, PIPELINE_KEYSPACES, type Scoping } from './pipeline.js'
import { createPlatform, replyDelivery, sharedSending } from './platform.js'
import { openStore } from './state.js'
import { createTransports, type Transports } from './transports.js'
import { DEFAULT_TUNING, type Tuning } from './tuning.js'

export { DEFAULT_TUNING, type Tuning }

export interface AppDeps {
  readonly config: Config
  readonly log: Logger
  readonly clock?: () => number
  readonly fetch?: FetchFn
  /** Default: the store production uses (SQLite under `DATA_DIR`, or Redis with `REDIS_URL`). */
  readonly store?: Store
  readonly tuning?: Partial<Tuning>
  /**
   * Features after the bot's own (`features/index.ts`), in this order. For tests (a test-only
   * event handler, say); production passes none.
   */
  readonly extraFeatures?: readonly Feature[]
}

/** What the message flow and the app are built on: an internal app's, or a third-party app's. */
interface Wiring {
  readonly features: Assembled
  readonly chat: ChatSource
  readonly delivery: Deliverer
  readonly observer: FlowObserver
  readonly background: readonly Background[]
  readonly keyspaces: readonly Keyspace[]
  readonly eventTypes: readonly string[]
  readonly tokens?: TokenProvider
  readonly scoping?: Scoping
  readonly readiness?: () => CheckResult
  readonly isv?: Isv
}

export interface App {
  readonly server: FastifyInstance
  readonly bot: Bot
  /** Every command of every feature, as the router sees them. */
  readonly registry: CommandRegistry
  /** The app's own token (an internal app); a third-party app has one per org (`isv`). */
  readonly tokens: TokenProvider | undefined
  /** A third-party app's suite ticket, org tokens and orgs. */
  readonly isv: Isv | undefined
  readonly readiness: Readiness
  readonly store: Store
  readonly metrics: Metrics
  readonly stats: Stats
  /** The Stream-mode connection, when `DINGTALK_TRANSPORTS` includes `stream`. */
  readonly stream: StreamTransport | undefined
  /** Answers what the inbox owes, starts the stream (in the background); idempotent. Listening does it. */
  start(): void
  /** Stops intake, drains in-flight replies (bounded), closes everything. */
  stop(): Promise<void>
}

/**
 * Wires the bot together, in the order it runs: state, DingTalk, the features, the message flow,
 * the server and transports, the start/stop order. Listens on nothing: `main` (or a test) decides.
 */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config, log } = deps
  const tuning: Tuning = {
    ...DEFAULT_TUNING,
    dedupe: { ...DEFAULT_TUNING.dedupe, leaseMs: config.leaseMs },
    ...deps.tuning,
  }
  const clock = deps.clock ?? Date.now
  // Every outbound call through the proxy, when one is configured; an injected fetch (tests) wins.
  const outbound = config.proxy ? createOutbound(config.proxy) : undefined
  const fetch = deps.fetch ?? outbound?.fetch
  const post = deps.fetch ? fetchPost(deps.fetch) : requestPost(outbound?.dispatcher)
  const store = deps.store ?? (await openStore(config, log))
  const metrics = new Metrics({ defaults: true })
  const stats = new Stats(metrics, clock)
  const platformDeps = { config, log, clock, fetch, post, store, metrics, tuning }
  const inbox = createInbox({ config, log, clock, store, tuning })
  metrics.inboxSource = () => inbox
  // `/status` reads the transports, which are built after the flow they feed.
  let transports: Transports | undefined
  const status = {
    version: VERSION,
    startedAt: clock(),
    transports: () => transports?.statuses() ?? [],
    inbox,
    store,
  }
  /** An internal app: one org, the app's token, the features over the whole store. */
  function internalWiring(): Wiring {
    const platform = createPlatform(platformDeps)
    const settings = new ChatSettingsStore(store, { locale: config.locale, timeZone: config.timeZone })
    const { features, background } = wireFeatures({
      ...platformDeps,
      platform,
      settings,
      status: { ...status, messages: stats, events: stats },
      ...(deps.extraFeatures ? { extra: deps.extraFeatures } : {}),
    })
    return {
      features,
      chat: settings,
      delivery: platform.delivery,
      observer: stats,
      background,
      keyspaces: [...platform.keyspaces, ...features.keyspaces],
      eventTypes: [...features.events.keys()],
      tokens: platform.tokens,
    }
  }

  /** A third-party app: each org its own token, state and features (`app/isv.ts`). */
  function isvWiring(): Wiring {
    const shared = sharedSending(platformDeps)
    const isv = createIsv({
      platform: platformDeps,
      shared,
      status,
      observer: stats,
      ...(deps.extraFeatures ? { extra: deps.extraFeatures } : {}),
    })
    return {
      features: isv.features,
      chat: isv.chat,
      delivery: replyDelivery(platformDeps, shared, isv.robot),
      observer: isv.observer,
      background: [isv.background],
      keyspaces: isv.features.keyspaces,
      eventTypes: [...isv.features.events.keys()],
      scoping: isv.scoping,
      readiness: isv.readiness,
      isv,
    }
  }

  const wiring = config.appType === 'isv' ? isvWiring() : internalWiring()
  store.declare([settingsKeyspace, ...PIPELINE_KEYSPACES, ...wiring.keyspaces])
  const { bot, ledger, cardLedger, recovery } = createBot({
    config,
    log,
    clock,
    store,
    tuning,
    features: wiring.features,
    settings: wiring.chat,
    delivery: wiring.delivery,
    observer: wiring.observer,
    inbox,
    ...(wiring.scoping ? { scoping: wiring.scoping } : {}),
  })
  const readiness = new Readiness()
  readiness.add('store', () => storeCheck(store))
  if (wiring.readiness) readiness.add('suite-ticket', wiring.readiness)
  const server = buildServer(log, readiness, { metrics: metrics.registry, metricsToken: config.metricsToken })
  const intake = { open: true }
  transports = createTransports({
    config,
    log,
    clock,
    fetch,
    wsAgent: outbound?.wsAgent,
    tuning,
    server,
    port: bot,
    eventTypes: wiring.eventTypes,
    cardActions: [...wiring.features.cardActions.keys()],
    readiness,
    metrics,
    stats,
    accepting: () => intake.open,
  })
  const { stream } = transports
  const lifecycle = new Lifecycle({
    intake,
    log,
    server,
    readiness,
    stream,
    recovery,
    bot,
    ledger,
    cardLedger,
    store,
    background: wiring.background,
    drainMs: tuning.drainMs,
  })
  // `main` (or a test) only listens: the inbox's sweep and the stream come up with the server.
  server.addHook('onListen', async () => lifecycle.start())
  return {
    server,
    bot,
    registry: wiring.features.registry,
    tokens: wiring.tokens,
    isv: wiring.isv,
    readiness,
    store,
    metrics,
    stats,
    stream,
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop().finally(() => outbound?.close()),
  }
}

/**
 * A degraded store still passes: the bot answers on local memory, and every replica shares the
 * one Redis, so failing readiness would take them all out of the load balancer at once.
 */
function storeCheck(store: Store): CheckResult {
  const health = store.health?.() ?? { state: 'ok', detail: store.kind }
  return health.state === 'ok'
    ? { ok: true, detail: health.detail }
    : { ok: true, degraded: true, detail: health.detail }
}
