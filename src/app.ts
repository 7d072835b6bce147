import type { FastifyInstance } from 'fastify'
import type { StatusReport } from './cards/status.js'
import { createRegistry, type Services } from './commands/index.js'
import { type Config, describeConfig } from './config.js'
import { Bot } from './core/bot.js'
import { DEFAULT_DEDUPE, type DedupeOptions, Deduper, dedupeKeyspace } from './core/dedupe.js'
import { rateKeyspace, UserRateLimiter } from './core/rate-limit.js'
import { DEFAULT_DELIVERY, Delivery, type DeliveryOptions } from './delivery/delivery.js'
import { DEFAULT_PACING, Pacer, type PacerOptions } from './delivery/pacer.js'
import { RobotSender } from './delivery/robot-api.js'
import { WebhookSender } from './delivery/webhook.js'
import { DingTalkApi } from './dingtalk/api.js'
import { ApiBudget, budgetKeyspace } from './dingtalk/budget.js'
import { ConferenceClient } from './dingtalk/conference.js'
import { DEFAULT_RETRY, DingTalkHttp, type FetchFn, type RetryOptions } from './dingtalk/http.js'
import { TokenProvider, tokenKeyspace } from './dingtalk/token.js'
import type { Logger } from './logger.js'
import { type CacheTtls, DEFAULT_TTLS, MeetingService, meetingCacheKeyspace } from './meeting/service.js'
import { Metrics } from './metrics.js'
import { type CheckResult, Readiness } from './readiness.js'
import { buildServer } from './server.js'
import { ConversationSettings, settingsKeyspace } from './settings.js'
import { Stats } from './stats.js'
import { MemoryStore } from './store/memory.js'
import { type Flight, LocalFlight, lockKeyspace, SharedFlight } from './store/single-flight.js'
import type { Store } from './store/store.js'
import { registerHttpTransport } from './transports/http.js'
import {
  DEFAULT_STREAM,
  type StreamState,
  StreamTransport,
  type StreamTuning,
} from './transports/stream/supervisor.js'
import { UsageLedger, usageKeyspace } from './usage.js'
import { VERSION } from './version.js'

/** Knobs the composition root sets from defaults and tests shorten. */
export interface Tuning {
  readonly retry: RetryOptions
  readonly delivery: DeliveryOptions
  readonly pacing: PacerOptions
  readonly dedupe: DedupeOptions
  readonly ttls: CacheTtls
  /** How long an HTTP callback waits for the answer before replying `empty` and using the webhook. */
  readonly inlineDeadlineMs: number
  /** Bound on finishing in-flight replies at shutdown. */
  readonly drainMs: number
  /** Stream-mode reconnect backoff and silent-socket watchdog. */
  readonly stream: StreamTuning
}

export const DEFAULT_TUNING: Tuning = {
  retry: DEFAULT_RETRY,
  delivery: DEFAULT_DELIVERY,
  pacing: DEFAULT_PACING,
  dedupe: DEFAULT_DEDUPE,
  ttls: DEFAULT_TTLS,
  inlineDeadlineMs: 1500,
  drainMs: 10_000,
  stream: DEFAULT_STREAM,
}

const USER_AGENT = 'meeting-bot/0.1 (dingtalk-stream/2.1.5)'

export interface AppDeps {
  readonly config: Config
  readonly log: Logger
  readonly clock?: () => number
  readonly fetch?: FetchFn
  readonly store?: Store
  readonly tuning?: Partial<Tuning>
}

export interface App {
  readonly server: FastifyInstance
  readonly bot: Bot<Services>
  readonly services: Services
  readonly tokens: TokenProvider
  readonly readiness: Readiness
  readonly store: Store
  readonly metrics: Metrics
  readonly stats: Stats
  /** The Stream-mode connection, when `DINGTALK_TRANSPORTS` includes `stream`. */
  readonly stream: StreamTransport | undefined
  /** Starts the stream connection (in the background); idempotent. The server's listen calls it. */
  start(): void
  /** Stops intake, drains in-flight replies (bounded), closes everything. */
  stop(): Promise<void>
}

/** Wires the bot together. Listens on nothing: `main` (or a test) decides where. */
export function createApp(deps: AppDeps): App {
  const { config, log } = deps
  const tuning: Tuning = {
    ...DEFAULT_TUNING,
    dedupe: { ...DEFAULT_TUNING.dedupe, leaseMs: config.leaseMs },
    ...deps.tuning,
  }
  const clock = deps.clock ?? Date.now
  const store: Store = deps.store ?? new MemoryStore({ clock })
  store.declare([
    dedupeKeyspace,
    rateKeyspace,
    settingsKeyspace,
    meetingCacheKeyspace,
    budgetKeyspace,
    usageKeyspace,
    tokenKeyspace,
    lockKeyspace,
  ])
  // One upstream call for all instances when they share a store; a dead holder's lock lapses fast.
  const flight: Flight = store.shared
    ? new SharedFlight(store, { lockTtlMs: Math.min(tuning.dedupe.leaseMs, 10_000) })
    : new LocalFlight()
  const metrics = new Metrics({ defaults: true })
  const stats = new Stats(metrics, clock)
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
  const settings = new ConversationSettings(store)
  const meetings = new MeetingService(new ConferenceClient(api), store, flight, tuning.ttls, clock)
  const startedAt = clock()
  let stream: StreamTransport | undefined
  const services: Services = {
    meetings,
    settings,
    defaults: { locale: config.locale, timeZone: config.timeZone },
    configView: () => describeConfig(config),
    status: async (): Promise<StatusReport> => ({
      version: VERSION,
      startedAt,
      transports: [
        ...(stream ? [{ name: 'stream', ...stream.status() }] : []),
        ...(config.transports.includes('http')
          ? [{ name: 'http', state: 'accepting callbacks', lastMessageAt: stats.lastMessageAt.http }]
          : []),
      ],
      token: tokens.status(),
      cache: meetings.cacheStats(),
      messages: {
        handled: stats.handledCount,
        failed: stats.failed,
        duplicates: stats.duplicates,
        rateLimited: stats.rateLimitedCount,
      },
      usage: {
        sinceStart: usage.started(),
        ...(await usage.thisMonth().then((m) => ({ month: m.month, thisMonth: m.table }))),
      },
      store: store.kind,
    }),
  }
  const delivery = new Delivery(
    new WebhookSender(config.dingtalk.oapiBase, config.dingtalk.timeoutMs, deps.fetch),
    new RobotSender(api, config.dingtalk.robotCode),
    new Pacer(tuning.pacing, clock),
    tuning.delivery,
    clock,
  )
  const dedupe = new Deduper(store, tuning.dedupe)
  const bot = new Bot<Services>({
    registry: createRegistry(),
    services,
    dedupe,
    delivery,
    log,
    defaults: { locale: config.locale, timeZone: config.timeZone },
    clock,
    prefs: (conversationId) => settings.get(conversationId),
    isAdmin: (msg) =>
      msg.sender.isAdmin || (!!msg.sender.staffId && config.admins.includes(msg.sender.staffId)),
    rateLimiter: new UserRateLimiter(store, { limit: config.userRateLimit, windowMs: 60_000 }, clock),
    observer: stats,
  })
  const readiness = new Readiness()
  readiness.add('store', () => storeCheck(store))
  const server = buildServer(log, readiness, { metrics: metrics.registry, metricsToken: config.metricsToken })
  let accepting = true
  if (config.transports.includes('http')) {
    registerHttpTransport(server, {
      bot: bot as Bot<unknown>,
      secret: config.dingtalk.clientSecret,
      inlineDeadlineMs: tuning.inlineDeadlineMs,
      clock,
      accepting: () => accepting,
    })
    readiness.add('http', () => ({ ok: true, detail: 'accepting callbacks' }))
  }
  stream = config.transports.includes('stream')
    ? new StreamTransport({
        clientId: config.dingtalk.clientId,
        clientSecret: config.dingtalk.clientSecret,
        apiBase: config.dingtalk.apiBase,
        ua: USER_AGENT,
        port: bot,
        log,
        clock,
        timeoutMs: config.dingtalk.timeoutMs,
        ...tuning.stream,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      })
    : undefined
  if (stream) {
    const s = stream
    readiness.add('stream', () => streamCheck(s))
    metrics.streamSource = () => ({
      connected: s.status().state === 'connected',
      reconnects: s.status().reconnects,
    })
    // `main` only listens: the stream comes up with the server.
    server.addHook('onListen', async () => s.start())
  }
  return {
    server,
    bot,
    services,
    tokens,
    readiness,
    store,
    metrics,
    stats,
    stream,
    start() {
      stream?.start()
    },
    async stop() {
      accepting = false
      readiness.setDraining()
      // No new frames first (replies go by webhook, not by the socket), then drain.
      await stream?.stop()
      dedupe.stopWaiting()
      const { pending } = await bot.drain(tuning.drainMs)
      dedupe.close()
      if (pending > 0) log.warn({ pending }, 'shutdown: replies still in flight after the drain bound')
      await server.close()
      await store.close()
    },
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

function streamCheck(stream: StreamTransport): CheckResult {
  const s = stream.status()
  const detail: Record<StreamState, string> = {
    idle: 'not started',
    connecting: 'connecting to the DingTalk stream gateway',
    connected: 'connected',
    reconnecting: 'reconnecting',
    stopped: 'stopped',
  }
  const why = s.state !== 'connected' && s.lastError ? `: ${s.lastError}` : ''
  return {
    ok: s.state === 'connected',
    detail: `${detail[s.state]}${why}`,
    state: s.state,
    reconnects: s.reconnects,
    ...(s.connectedSince !== undefined ? { connectedSince: new Date(s.connectedSince).toISOString() } : {}),
  }
}
