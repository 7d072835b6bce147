import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Prometheus metrics. One registry per app (not prom-client's global one), so several bots in one
 * test process do not mix their numbers. Names follow Prometheus conventions: `_total` counters,
 * `_seconds` histograms.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly messages: Counter<'transport' | 'command' | 'outcome'>
  /** `type`: an event type a feature handles, else `other` (bounded whatever DingTalk sends). */
  readonly events: Counter<'type' | 'outcome'>
  /** `action`: an action a feature answers, else `other` (bounded whatever a card sends). */
  readonly cardActions: Counter<'action' | 'outcome'>
  readonly replies: Counter<'path'>
  readonly upstreamCalls: Counter<'api' | 'status'>
  readonly messageSeconds: Histogram<'transport'>
  readonly upstreamSeconds: Histogram<'api'>
  readonly dedupeHits: Counter<'transport'>
  readonly rateLimited: Counter<'action'>
  readonly streamConnected: Gauge
  readonly streamReconnects: Gauge
  readonly inboxRecovered: Gauge
  readonly inboxTooOld: Gauge

  /** Set once the stream transport exists; read when Prometheus scrapes. */
  streamSource: (() => { connected: boolean; reconnects: number }) | undefined
  /** The inbox's counts since start; read when Prometheus scrapes. */
  inboxSource: (() => { taken: number; tooOld: number }) | undefined

  constructor(opts: { defaults?: boolean } = {}) {
    const registers = [this.registry]
    const stream = () => this.streamSource?.()
    const inbox = () => this.inboxSource?.()
    this.messages = new Counter({
      name: 'meetingbot_messages_total',
      help: 'Robot messages handled, by transport, command and outcome',
      labelNames: ['transport', 'command', 'outcome'],
      registers,
    })
    this.events = new Counter({
      name: 'meetingbot_events_total',
      help: 'Platform events (Stream EVENT frames) by type (a handled type, else other) and outcome',
      labelNames: ['type', 'outcome'],
      registers,
    })
    this.cardActions = new Counter({
      name: 'meetingbot_card_actions_total',
      help: 'Card button clicks by action (an answered action, else other) and outcome',
      labelNames: ['action', 'outcome'],
      registers,
    })
    this.replies = new Counter({
      name: 'meetingbot_replies_total',
      help: 'Replies by delivery path (inline, webhook, openapi) or failed',
      labelNames: ['path'],
      registers,
    })
    this.upstreamCalls = new Counter({
      name: 'meetingbot_upstream_calls_total',
      help: 'Calls to the DingTalk OpenAPI by API and HTTP status (or timeout/network)',
      labelNames: ['api', 'status'],
      registers,
    })
    this.messageSeconds = new Histogram({
      name: 'meetingbot_message_duration_seconds',
      help: 'From receiving a message to its reply being delivered',
      labelNames: ['transport'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.upstreamSeconds = new Histogram({
      name: 'meetingbot_upstream_duration_seconds',
      help: 'Duration of one call to the DingTalk OpenAPI',
      labelNames: ['api'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.dedupeHits = new Counter({
      name: 'meetingbot_dedupe_hits_total',
      help: 'Redelivered messages recognised and ignored',
      labelNames: ['transport'],
      registers,
    })
    this.rateLimited = new Counter({
      name: 'meetingbot_rate_limited_total',
      help: 'Commands refused by the per-user rate limit (told once per window, then ignored)',
      labelNames: ['action'],
      registers,
    })
    this.streamConnected = new Gauge({
      name: 'meetingbot_stream_connected',
      help: '1 while the Stream-mode WebSocket is connected',
      registers,
      collect() {
        const s = stream()
        if (s) this.set(s.connected ? 1 : 0)
      },
    })
    this.streamReconnects = new Gauge({
      name: 'meetingbot_stream_reconnects',
      help: 'Stream-mode reconnects since start',
      registers,
      collect() {
        const s = stream()
        if (s) this.set(s.reconnects)
      },
    })
    this.inboxRecovered = new Gauge({
      name: 'meetingbot_inbox_recovered',
      help: 'Messages answered from the inbox since start: owed from before a restart, or by a stopped replica',
      registers,
      collect() {
        const i = inbox()
        if (i) this.set(i.taken)
      },
    })
    this.inboxTooOld = new Gauge({
      name: 'meetingbot_inbox_too_old',
      help: 'Messages found in the inbox too old to answer (over 30 minutes) since start, dropped and logged',
      registers,
      collect() {
        const i = inbox()
        if (i) this.set(i.tooOld)
      },
    })
    if (opts.defaults) collectDefaultMetrics({ register: this.registry, prefix: 'meetingbot_' })
  }
}
