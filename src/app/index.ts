import type { FastifyInstance } from 'fastify'
import { type Config, describeConfig } from '../config.js'
import type { Bot } from '../core/bot.js'
import type { CommandRegistry } from '../core/commands.js'
import { assemble, type Feature } from '../core/feature.js'
import { ChatSettingsStore, settingsKeyspace } from '../core/settings.js'
import type { FetchFn } from '../dingtalk/http.js'
import { createOutbound } from '../dingtalk/proxy.js'
import type { TokenProvider } from '../dingtalk/token.js'
import { createFeatures } from '../features/index.js'
import type { Logger } from '../logger.js'
import { Metrics } from '../ops/metrics.js'
import { type CheckResult, Readiness } from '../ops/readiness.js'
import { buildServer } from '../ops/server.js'
import { Stats } from '../ops/stats.js'
import type { Store } from '../store/store.js'
import type { StreamTransport } from '../transports/stream/supervisor.js'
import { VERSION } from '../version.js'
import { Lifecycle } from './lifecycle.js'
import { createBot, createInbox, PIPELINE_KEYSPACES } from './pipeline.js'
import { createPlatform } from './platform.js'
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

export interface App {
  readonly server: FastifyInstance
  readonly bot: Bot
  /** Every command of every feature, as the router sees them. */
  readonly registry: CommandRegistry
  readonly tokens: TokenProvider
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
  const store = deps.store ?? (await openStore(config, log))
  const metrics = new Metrics({ defaults: true })
  const stats = new Stats(metrics, clock)
  const platform = createPlatform({ config, log, clock, fetch, store, metrics, tuning })
  const settings = new ChatSettingsStore(store, { locale: config.locale, timeZone: config.timeZone })
  const inbox = createInbox({ config, log, clock, store, tuning })
  metrics.inboxSource = () => inbox
  // `/status` reads the transports, which are built after the flow they feed.
  let transports: Transports | undefined
  const { features: own, background } = createFeatures({
    conferences: platform.conferences,
    store,
    flight: platform.flight,
    ttls: tuning.ttls,
    clock,
    settings,
    configView: () => describeConfig(config),
    log,
    notices: platform.notices,
    watch: config.watch,
    liveCards: config.cards.templateId
      ? {
          cards: platform.cards,
          settings: {
            templateId: config.cards.templateId,
            updateMs: config.cards.updateMs,
            liveMs: config.cards.liveMs,
            monthlyQuota: config.watch.monthlyQuota,
            quotaShare: config.cards.quotaShare,
            // Clicks come where the bot listens: as frames with a Stream connection, else by HTTP.
            callbackType: config.transports.includes('stream') ? 'STREAM' : 'HTTP',
            callbackRouteKey: config.cards.callbackRouteKey,
          },
        }
      : undefined,
    status: {
      version: VERSION,
      startedAt: clock(),
      transports: () => transports?.statuses() ?? [],
      token: platform.tokens,
      messages: stats,
      events: stats,
      inbox,
      usage: platform.usage,
      store,
    },
  })
  const features = assemble([...own, ...(deps.extraFeatures ?? [])])
  store.declare([settingsKeyspace, ...PIPELINE_KEYSPACES, ...platform.keyspaces, ...features.keyspaces])
  const { bot, ledger, cardLedger, recovery } = createBot({
    config,
    log,
    clock,
    store,
    tuning,
    features,
    settings,
    delivery: platform.delivery,
    observer: stats,
    inbox,
  })
  const readiness = new Readiness()
  readiness.add('store', () => storeCheck(store))
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
    eventTypes: [...features.events.keys()],
    cardActions: [...features.cardActions.keys()],
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
    background,
    drainMs: tuning.drainMs,
  })
  // `main` (or a test) only listens: the inbox's sweep and the stream come up with the server.
  server.addHook('onListen', async () => lifecycle.start())
  return {
    server,
    bot,
    registry: features.registry,
    tokens: platform.tokens,
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
