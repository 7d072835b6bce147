import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { InboundPort, TransportStatus } from '../core/port.js'
import type { FetchFn } from '../dingtalk/http.js'
import type { Outbound } from '../dingtalk/proxy.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../ops/metrics.js'
import type { CheckResult, Readiness } from '../ops/readiness.js'
import type { Stats } from '../ops/stats.js'
import { registerCardCallback } from '../transports/card-callback.js'
import { registerHttpTransport } from '../transports/http.js'
import { registerHttpEvents } from '../transports/http-events.js'
import { type StreamState, StreamTransport } from '../transports/stream/supervisor.js'
import type { Tuning } from './tuning.js'

const USER_AGENT = 'meeting-bot/0.1 (dingtalk-stream/2.1.5)'

export interface TransportDeps {
  readonly config: Config
  readonly log: Logger
  readonly clock: () => number
  readonly fetch: FetchFn | undefined
  /** The Stream socket's agent (a tunnel through the proxy), when a proxy is configured. */
  readonly wsAgent: Outbound['wsAgent'] | undefined
  readonly tuning: Tuning
  readonly server: FastifyInstance
  readonly port: InboundPort
  /** The platform event types the features handle: with any, the Stream connection subscribes to events. */
  readonly eventTypes: readonly string[]
  /**
   * The card actions the features answer (`Assembled.cardActions`' keys): with any, and a card
   * template configured, the Stream connection subscribes to card clicks. Absent: none.
   */
  readonly cardActions?: readonly string[]
  readonly readiness: Readiness
  readonly metrics: Metrics
  readonly stats: Stats
  /** False once shutdown has begun: callbacks get 503. */
  readonly accepting: () => boolean
}

export interface Transports {
  /** The Stream-mode connection, when `DINGTALK_TRANSPORTS` includes `stream`. */
  readonly stream: StreamTransport | undefined
  /** For `/status`. */
  statuses(): TransportStatus[]
}

/** The enabled transports, each feeding the core's port, each with its readiness check. */
export function createTransports(deps: TransportDeps): Transports {
  const { config, server, readiness } = deps
  const http = config.transports.includes('http')
  if (http) {
    registerHttpTransport(server, {
      port: deps.port,
      secret: config.dingtalk.clientSecret,
      inlineDeadlineMs: deps.tuning.inlineDeadlineMs,
      clock: deps.clock,
      accepting: deps.accepting,
    })
    // Clicks on cards created with callbackType HTTP; without DINGTALK_CARD_CALLBACK_SECRET: 401.
    registerCardCallback(server, {
      port: deps.port,
      secret: config.cards.callbackSecret,
      clock: deps.clock,
      accepting: deps.accepting,
    })
    // DingTalk's encrypted HTTP event push (docs/isv.md), with DINGTALK_EVENT_TOKEN/_AES_KEY.
    if (config.events) {
      registerHttpEvents(server, {
        port: deps.port,
        token: config.events.token,
        aesKey: config.events.aesKey,
        // The suite key of an ISV app, the app key of an internal one (emulator mode: the emulated app's).
        ownerKey: config.dingtalk.clientId,
        clock: deps.clock,
        accepting: deps.accepting,
      })
      if (deps.eventTypes.length > 0) deps.stats.subscribedToEvents(deps.eventTypes)
    }
    readiness.add('http', () => ({ ok: true, detail: 'accepting callbacks' }))
  }
  const stream = config.transports.includes('stream')
    ? new StreamTransport({
        subscribeEvents: deps.eventTypes.length > 0,
        // Without a template the bot sends no interactive card: nothing to click, nothing changes.
        subscribeCards: config.cards.templateId !== undefined && (deps.cardActions?.length ?? 0) > 0,
        clientId: config.dingtalk.clientId,
        clientSecret: config.dingtalk.clientSecret,
        apiBase: config.dingtalk.apiBase,
        ua: USER_AGENT,
        port: deps.port,
        log: deps.log,
        clock: deps.clock,
        timeoutMs: config.dingtalk.timeoutMs,
        ...deps.tuning.stream,
        maxPending: deps.tuning.stream.maxPending ?? config.maxPending,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.wsAgent ? { wsAgent: deps.wsAgent } : {}),
      })
    : undefined
  if (stream) {
    if (deps.eventTypes.length > 0) deps.stats.subscribedToEvents(deps.eventTypes)
    readiness.add('stream', () => streamCheck(stream))
    deps.metrics.streamSource = () => ({
      connected: stream.status().state === 'connected',
      reconnects: stream.status().reconnects,
    })
    // The stream comes up when the server listens (lifecycle.ts: after the inbox's first sweep starts).
  }
  return {
    stream,
    statuses: () => [
      ...(stream ? [{ name: 'stream', ...stream.status() }] : []),
      ...(http
        ? [{ name: 'http', state: 'accepting callbacks', lastMessageAt: deps.stats.lastMessageAt.http }]
        : []),
    ],
  }
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
