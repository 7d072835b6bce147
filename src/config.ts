import {
  cardTemplate,
  type EventsConfig,
  eventsConfig,
  type ProxyConfig,
  proxyConfig,
  redisConfig,
  share,
} from './config-sections.js'
import { isValidTimeZone, LOCALES, type Locale } from './core/locale.js'
import { type Env, EnvReader, redactUrl } from './env-reader.js'
import { redactRedisUrl } from './store/redis-url.js'

export { EMULATOR_CARD_TEMPLATE, type EventsConfig, type ProxyConfig } from './config-sections.js'
export { redactUrl }

/*
 * Configuration: the only module that knows environment variable names. `loadConfig` is pure
 * (it takes the environment as an argument), validates everything at once and throws one
 * `ConfigError` listing every problem, so an operator fixes them all in one go.
 */

export type TransportName = 'stream' | 'http'
const TRANSPORTS: readonly TransportName[] = ['stream', 'http']
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Config {
  /** `real`: a DingTalk app; `emulator`: no credentials, the built-in emulator plays DingTalk. */
  readonly mode: 'real' | 'emulator'
  /**
   * `internal`: an org's own app, one org, one token. `isv`: a third-party app many orgs install;
   * the client id and secret are the suite key and secret, each org gets its own token and state.
   */
  readonly appType: 'internal' | 'isv'
  readonly dingtalk: {
    readonly clientId: string
    readonly clientSecret: string
    readonly robotCode: string
    readonly apiBase: string
    readonly oapiBase: string
    readonly timeoutMs: number
  }
  readonly transports: readonly TransportName[]
  readonly host: string
  readonly port: number
  readonly logLevel: LogLevel
  readonly locale: Locale
  readonly timeZone: string
  /** Staff ids that are admins besides DingTalk's own org admins. */
  readonly admins: readonly string[]
  /** Where the embedded SQLite store lives (unused with Redis). */
  readonly dataDir: string
  /** Shared state for several instances; undefined: the embedded SQLite store. */
  readonly redis: { readonly url: string; readonly keyPrefix: string } | undefined
  /**
   * How long a claim held by an instance that died blocks the others: the messages it was
   * answering (then taken over) and, at most 10 s, a lookup or token fetch it was doing.
   */
  readonly leaseMs: number
  /** Commands one user may send per minute. */
  readonly userRateLimit: number
  /**
   * Messages taken and not answered yet, at most: above it the Stream socket is not read and HTTP
   * callbacks get 503 (DingTalk pushes and retries later). Bounds the memory a burst can take.
   */
  readonly maxPending: number
  /** Our own budget of calls per second per DingTalk API (DingTalk allows about 20). */
  readonly apiQps: number
  /** The `watch` feature: poll interval, the quota share polling may spend, the caps (docs/watch.md). */
  readonly watch: {
    /** The shortest poll interval: close to a watched meeting's start and while it runs. */
    readonly pollMs: number
    /** The org's monthly API quota (DingTalk's standard edition: 5,000 calls). */
    readonly monthlyQuota: number
    /** The share of it polling for watches may spend, 0 to 1. */
    readonly quotaShare: number
    readonly maxPerChat: number
    readonly maxTotal: number
  }
  /**
   * Live meeting cards (docs/live-cards.md): with a template id the meeting answer is an
   * interactive card kept up to date; without one, nothing changes (markdown cards).
   */
  readonly cards: {
    /** `DINGTALK_CARD_TEMPLATE_ID`: the published template (`xxxx.schema`); undefined: off. */
    readonly templateId: string | undefined
    /** `DINGTALK_CARD_CALLBACK_SECRET`: signs HTTP card callbacks (`x-ddpaas-signature`); '' : HTTP clicks refused. */
    readonly callbackSecret: string
    /**
     * `DINGTALK_CARD_CALLBACK_ROUTE_KEY`: with HTTP callbacks, the route key registered with
     * `POST /v1.0/card/callbacks/register` for `/dingtalk/card-callback` (docs/card-template).
     */
    readonly callbackRouteKey: string
    /** At most one update per card this often (`BOT_CARD_UPDATE_MS`). */
    readonly updateMs: number
    /** A card stops being live this long after it was sent (`BOT_CARD_LIVE_HOURS`). */
    readonly liveMs: number
    /** The share of the monthly quota card updates may spend (`BOT_CARD_QUOTA_SHARE`). */
    readonly quotaShare: number
  }
  /**
   * DingTalk's encrypted HTTP event push at `POST /dingtalk/events` (docs/isv.md): the console's
   * token and EncodingAESKey (secrets, never logged); undefined: no route. The owner key every
   * plaintext ends with is `DINGTALK_CLIENT_ID` (the suite key of an ISV app, the app key of an
   * internal one), read from `dingtalk.clientId`.
   */
  readonly events: EventsConfig | undefined
  /** Bearer token for GET /metrics; empty: open. */
  readonly metricsToken: string
  /**
   * The corporate proxy for every outbound call (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, either case);
   * undefined: direct, as without the variables. Never used in emulator mode (the emulator is local).
   */
  readonly proxy: ProxyConfig | undefined
  readonly emulator: {
    /** Where the built-in emulator listens in emulator mode (always loopback). */
    readonly port: number
    readonly meetingsFile: string | undefined
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export function loadConfig(env: Env): Config {
  const r = new EnvReader(env)
  const clientId = r.str('DINGTALK_CLIENT_ID')
  const clientSecret = r.str('DINGTALK_CLIENT_SECRET')
  const production = r.str('NODE_ENV') === 'production'
  let mode: Config['mode'] = 'real'
  if (!clientId || !clientSecret) {
    const missing = [!clientId && 'DINGTALK_CLIENT_ID', !clientSecret && 'DINGTALK_CLIENT_SECRET'].filter(
      Boolean,
    )
    if (production || clientId || clientSecret) {
      r.problems.push(
        `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required` +
          (production
            ? ' (NODE_ENV=production never falls back to the emulator)'
            : ' (set both for a real DingTalk app, or neither for emulator mode)'),
      )
    } else {
      mode = 'emulator'
    }
  }
  const timeZone = r.str('BOT_TIMEZONE', 'Asia/Shanghai') as string
  if (!isValidTimeZone(timeZone)) r.problems.push(`BOT_TIMEZONE must be an IANA time zone, got "${timeZone}"`)
  const config: Config = {
    mode,
    appType: r.oneOf('DINGTALK_APP_TYPE', ['internal', 'isv'] as const, 'internal'),
    dingtalk: {
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      robotCode: r.str('DINGTALK_ROBOT_CODE', clientId ?? '') as string,
      apiBase: r.url('DINGTALK_API_BASE', 'https://api.dingtalk.com'),
      oapiBase: r.url('DINGTALK_OAPI_BASE', 'https://oapi.dingtalk.com'),
      timeoutMs: r.int('DINGTALK_TIMEOUT_MS', 3000, 100, 60_000),
    },
    transports: r.list('DINGTALK_TRANSPORTS', TRANSPORTS, TRANSPORTS),
    // Emulator mode is a local playground: it only listens on loopback unless told otherwise.
    host: r.str('HOST', mode === 'emulator' ? '127.0.0.1' : '0.0.0.0') as string,
    port: r.int('PORT', 3000, 0, 65_535),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    locale: r.oneOf('BOT_LOCALE', LOCALES, 'zh-CN'),
    timeZone,
    admins: (r.str('BOT_ADMINS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    dataDir: r.str('DATA_DIR', './data') as string,
    redis: redisConfig(r),
    leaseMs: r.int('BOT_LEASE_MS', 60_000, 1000, 600_000),
    userRateLimit: r.int('BOT_USER_RATE_LIMIT', 10, 1, 10_000),
    maxPending: r.int('BOT_MAX_PENDING', 10_000, 10, 1_000_000),
    apiQps: r.int('DINGTALK_API_QPS', 18, 1, 1000),
    watch: {
      pollMs: r.int('BOT_WATCH_POLL_MS', 60_000, 1000, 3_600_000),
      monthlyQuota: r.int('BOT_MONTHLY_API_QUOTA', 5000, 0, 100_000_000),
      quotaShare: share(r, 'BOT_WATCH_QUOTA_SHARE', 0.2),
      maxPerChat: r.int('BOT_WATCH_MAX_PER_CHAT', 10, 1, 1000),
      maxTotal: r.int('BOT_WATCH_MAX', 100, 1, 100_000),
    },
    cards: {
      templateId: cardTemplate(r, env, mode),
      callbackSecret: r.str('DINGTALK_CARD_CALLBACK_SECRET', '') as string,
      callbackRouteKey: r.pattern(
        'DINGTALK_CARD_CALLBACK_ROUTE_KEY',
        /^[\w.-]{1,64}$/,
        'meeting-bot',
        '1 to 64 letters, digits or _ . -',
      ),
      updateMs: r.int('BOT_CARD_UPDATE_MS', 10_000, 1000, 3_600_000),
      liveMs: r.int('BOT_CARD_LIVE_HOURS', 6, 1, 48) * 3600_000,
      quotaShare: share(r, 'BOT_CARD_QUOTA_SHARE', 0.3),
    },
    events: eventsConfig(r),
    metricsToken: r.str('METRICS_TOKEN', '') as string,
    proxy: proxyConfig(r, mode),
    emulator: {
      port: r.int('EMULATOR_PORT', 3001, 0, 65_535),
      meetingsFile: r.str('EMULATOR_MEETINGS_FILE'),
    },
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems)
  return deepFreeze(config)
}

function describeProxy(c: Config): Record<string, string> {
  if (c.mode === 'emulator') return { HTTPS_PROXY: '(not used in emulator mode)' }
  const shown = (url: string | undefined) => (url ? redactUrl(url) : '(not set: direct)')
  return {
    HTTPS_PROXY: shown(c.proxy?.httpsProxy),
    HTTP_PROXY: shown(c.proxy?.httpProxy),
    NO_PROXY: c.proxy?.noProxy.join(',') || '(none)',
  }
}

/** Every key in Redis starts with this: the prefix, then the app, so apps and deployments never mix. */
export function redisNamespace(keyPrefix: string, clientId: string): string {
  return `${keyPrefix}:${clientId}:`
}

function deepFreeze<T>(value: T): T {
  for (const v of Object.values(value as object)) if (v && typeof v === 'object') deepFreeze(v)
  return Object.freeze(value)
}

/** Shows that a secret is set without showing any of it. */
export function mask(secret: string): string {
  return secret ? `•••••• (set, ${secret.length} characters)` : '(not set)'
}

/** The effective configuration by variable name, for `/config`: every secret masked. */
export function describeConfig(c: Config): Record<string, string> {
  return {
    mode: c.mode,
    DINGTALK_APP_TYPE: c.appType,
    DINGTALK_CLIENT_ID: c.dingtalk.clientId,
    DINGTALK_CLIENT_SECRET: mask(c.dingtalk.clientSecret),
    DINGTALK_ROBOT_CODE: c.dingtalk.robotCode,
    DINGTALK_API_BASE: c.dingtalk.apiBase,
    DINGTALK_OAPI_BASE: c.dingtalk.oapiBase,
    DINGTALK_TIMEOUT_MS: String(c.dingtalk.timeoutMs),
    DINGTALK_API_QPS: String(c.apiQps),
    DINGTALK_TRANSPORTS: c.transports.join(','),
    HOST: c.host,
    PORT: String(c.port),
    LOG_LEVEL: c.logLevel,
    BOT_LOCALE: c.locale,
    BOT_TIMEZONE: c.timeZone,
    BOT_ADMINS: c.admins.join(',') || '(none)',
    BOT_USER_RATE_LIMIT: `${c.userRateLimit}/min`,
    BOT_MAX_PENDING: String(c.maxPending),
    DATA_DIR: c.redis ? `${c.dataDir} (unused: Redis)` : c.dataDir,
    REDIS_URL: c.redis ? redactRedisUrl(c.redis.url) : '(not set: embedded SQLite store)',
    ...(c.redis ? { REDIS_KEY_PREFIX: c.redis.keyPrefix } : {}),
    BOT_LEASE_MS: String(c.leaseMs),
    BOT_WATCH_POLL_MS: String(c.watch.pollMs),
    BOT_MONTHLY_API_QUOTA: String(c.watch.monthlyQuota),
    BOT_WATCH_QUOTA_SHARE: `${c.watch.quotaShare} (${Math.floor(c.watch.monthlyQuota * c.watch.quotaShare)} calls a month)`,
    BOT_WATCH_MAX_PER_CHAT: String(c.watch.maxPerChat),
    BOT_WATCH_MAX: String(c.watch.maxTotal),
    DINGTALK_CARD_TEMPLATE_ID: c.cards.templateId ?? '(not set: markdown cards)',
    DINGTALK_CARD_CALLBACK_SECRET: mask(c.cards.callbackSecret),
    DINGTALK_CARD_CALLBACK_ROUTE_KEY: c.cards.callbackRouteKey,
    BOT_CARD_UPDATE_MS: String(c.cards.updateMs),
    BOT_CARD_LIVE_HOURS: String(c.cards.liveMs / 3600_000),
    BOT_CARD_QUOTA_SHARE: `${c.cards.quotaShare} (${Math.floor(c.watch.monthlyQuota * c.cards.quotaShare)} calls a month)`,
    DINGTALK_EVENT_TOKEN: c.events ? mask(c.events.token) : '(not set: no HTTP event push)',
    DINGTALK_EVENT_AES_KEY: c.events ? mask(c.events.aesKey) : '(not set: no HTTP event push)',
    METRICS_TOKEN: mask(c.metricsToken),
    ...describeProxy(c),
  }
}
