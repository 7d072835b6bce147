import type { FastifyInstance } from 'fastify'
import { createRegistry, type Services } from './commands/index.js'
import type { Config } from './config.js'
import { Bot } from './core/bot.js'
import { DEFAULT_DEDUPE, type DedupeOptions, Deduper } from './core/dedupe.js'
import { DEFAULT_DELIVERY, Delivery, type DeliveryOptions } from './delivery/delivery.js'
import { DEFAULT_PACING, Pacer, type PacerOptions } from './delivery/pacer.js'
import { RobotSender } from './delivery/robot-api.js'
import { WebhookSender } from './delivery/webhook.js'
import { DingTalkApi } from './dingtalk/api.js'
import { ConferenceClient } from './dingtalk/conference.js'
import { DEFAULT_RETRY, DingTalkHttp, type FetchFn, type RetryOptions } from './dingtalk/http.js'
import { TokenProvider } from './dingtalk/token.js'
import type { Logger } from './logger.js'
import { type CacheTtls, DEFAULT_TTLS, MeetingService } from './meeting/service.js'
import { Readiness } from './readiness.js'
import { buildServer } from './server.js'
import { MemoryStore } from './store/memory.js'
import { LocalFlight } from './store/single-flight.js'
import type { Store } from './store/store.js'
import { registerHttpTransport } from './transports/http.js'

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
}

export const DEFAULT_TUNING: Tuning = {
  retry: DEFAULT_RETRY,
  delivery: DEFAULT_DELIVERY,
  pacing: DEFAULT_PACING,
  dedupe: DEFAULT_DEDUPE,
  ttls: DEFAULT_TTLS,
  inlineDeadlineMs: 1500,
  drainMs: 10_000,
}

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
  /** Stops intake, drains in-flight replies (bounded), closes everything. */
  stop(): Promise<void>
}

/** Wires the bot together. Listens on nothing: `main` (or a test) decides where. */
export function createApp(deps: AppDeps): App {
  const { config, log } = deps
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning }
  const clock = deps.clock ?? Date.now
  const store = deps.store ?? new MemoryStore({ clock })
  const http = new DingTalkHttp({
    baseUrl: config.dingtalk.apiBase,
    timeoutMs: config.dingtalk.timeoutMs,
    fetch: deps.fetch,
  })
  const tokens = new TokenProvider({
    http,
    clientId: config.dingtalk.clientId,
    clientSecret: config.dingtalk.clientSecret,
    clock,
  })
  const api = new DingTalkApi(http, tokens, tuning.retry, log.child({ component: 'dingtalk' }))
  const services: Services = {
    meetings: new MeetingService(new ConferenceClient(api), store, new LocalFlight(), tuning.ttls),
  }
  const delivery = new Delivery(
    new WebhookSender(config.dingtalk.oapiBase, config.dingtalk.timeoutMs, deps.fetch),
    new RobotSender(api, config.dingtalk.robotCode),
    new Pacer(tuning.pacing, clock),
    tuning.delivery,
    clock,
  )
  const bot = new Bot<Services>({
    registry: createRegistry(),
    services,
    dedupe: new Deduper(store, tuning.dedupe),
    delivery,
    log,
    defaults: { locale: config.locale, timeZone: config.timeZone },
    clock,
  })
  const readiness = new Readiness()
  const server = buildServer(log, readiness)
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
  return {
    server,
    bot,
    services,
    tokens,
    readiness,
    store,
    async stop() {
      accepting = false
      readiness.setDraining()
      const { pending } = await bot.drain(tuning.drainMs)
      if (pending > 0) log.warn({ pending }, 'shutdown: replies still in flight after the drain bound')
      await server.close()
      await store.close()
    },
  }
}
