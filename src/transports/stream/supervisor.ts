import type { InboundPort } from '../../core/port.js'
import { backoffDelay, type FetchFn } from '../../dingtalk/http.js'
import type { Logger } from '../../logger.js'
import { Backlog } from './backlog.js'
import { type CardAck, CardIntake } from './card-intake.js'
import { GatewayClient, type GatewayClientOptions } from './connection.js'
import { EventIntake } from './event-intake.js'
import { sanitize } from './frames.js'
import { DEFAULT_STREAM, type StreamTuning } from './tuning.js'

export { DEFAULT_STREAM, type StreamTuning } from './tuning.js'

export type StreamState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped'

/** For `/readyz` and `/status`. Holds no secret: `lastError` is sanitised. */
export interface StreamStatus {
  readonly state: StreamState
  readonly connectedSince: number | undefined
  /** Connections opened after the first one. */
  readonly reconnects: number
  readonly lastMessageAt: number | undefined
  readonly messages: number
  readonly lastError: string | undefined
}

export interface StreamTransportOptions extends Partial<StreamTuning> {
  readonly clientId: string
  readonly clientSecret: string
  readonly apiBase: string
  readonly ua?: string
  /** The core: gets every usable robot message, event and card click, never awaited by the socket. */
  readonly port: InboundPort
  /** Also subscribe to platform events (EVENT frames): some feature handles them. */
  readonly subscribeEvents?: boolean
  /** Also subscribe to card button clicks (`TOPIC_CARD`): the bot sends interactive cards. */
  readonly subscribeCards?: boolean
  /** How long a click's ack waits for the core before it answers empty (default 1.5 s). */
  readonly cardAnswerMs?: number
  readonly log: Logger
  readonly clock?: () => number
  readonly random?: () => number
  /** Bound on the gateway open call and on the handshake. */
  readonly timeoutMs?: number
  /** How long a socket we close gets for the close handshake before it is cut. */
  readonly closeGraceMs?: number
  readonly fetch?: FetchFn
  /** The agent for each socket (a tunnel through a proxy); see `GatewayClientOptions`. */
  readonly wsAgent?: GatewayClientOptions['wsAgent']
}

/**
 * DingTalk Stream mode, supervised by us rather than the SDK (platform notes §3): one fresh
 * `GatewayClient` per attempt and at most one attempt at a time; exponential backoff with jitter
 * on every failure; a watchdog for silent sockets; a replacement opened before an announced
 * disconnect; the old socket closed as soon as its successor is up. Robot frames go to the core
 * through the `Backlog`, which acks each once the core has kept it, never awaits `port.handle`, and
 * has the sockets paused while it is full; EVENT frames through the `EventIntake`, acked with the
 * core's outcome, counted towards the same bound; card clicks through the `CardIntake`, acked with
 * the card data to show within 1.5 s, counted towards the bound too, never in the backlog.
 */
export class StreamTransport {
  private state: StreamState = 'idle'
  private current: GatewayClient | undefined
  private attempt: GatewayClient | undefined
  private readonly retiring = new Set<Promise<void>>()
  private retryTimer: NodeJS.Timeout | undefined
  private watchdog: NodeJS.Timeout | undefined
  private failures = 0
  private reconnects = 0
  private everConnected = false
  private connectedSince: number | undefined
  private connectedAt = 0
  private lastMessageAt: number | undefined
  private lastError: string | undefined
  private messages = 0
  /** The backlog is full: every socket, the next one too, is paused. */
  private paused = false
  /** Robot frames on their way to the core (see backlog.ts). */
  private readonly backlog: Backlog
  /** EVENT frames: to the core's port, then acked with its outcome (see event-intake.ts). */
  private readonly events: EventIntake
  /** Card clicks: to the core's port, then acked with the card data (see card-intake.ts). */
  private readonly cards: CardIntake
  private readonly tuning: Required<StreamTuning>
  private readonly clock: () => number
  private readonly log: Logger

  constructor(private readonly opts: StreamTransportOptions) {
    this.tuning = {
      backoff: opts.backoff ?? DEFAULT_STREAM.backoff,
      watchdogMs: opts.watchdogMs ?? DEFAULT_STREAM.watchdogMs,
      stableAfterMs: opts.stableAfterMs ?? DEFAULT_STREAM.stableAfterMs,
      handoffPerTurn: opts.handoffPerTurn ?? DEFAULT_STREAM.handoffPerTurn ?? 4,
      maxInFlight: opts.maxInFlight ?? DEFAULT_STREAM.maxInFlight ?? 64,
      // Config's BOT_MAX_PENDING (app/transports.ts); a bare transport in a test has no bound.
      maxPending: opts.maxPending ?? Number.POSITIVE_INFINITY,
    }
    this.clock = opts.clock ?? Date.now
    this.log = opts.log.child({ component: 'stream' })
    this.backlog = new Backlog({
      port: opts.port,
      log: this.log,
      handoffPerTurn: this.tuning.handoffPerTurn,
      maxInFlight: this.tuning.maxInFlight,
      maxPending: this.tuning.maxPending,
      onFull: () => this.setPaused(true),
      onRoom: () => this.setPaused(false),
    })
    this.events = new EventIntake({
      port: opts.port,
      log: this.log,
      clock: this.clock,
      badFrame: this.badFrame,
      hold: () => this.backlog.hold(),
    })
    this.cards = new CardIntake({
      port: opts.port,
      log: this.log,
      clock: this.clock,
      badFrame: this.badFrame,
      hold: () => this.backlog.hold(),
      ...(opts.cardAnswerMs !== undefined ? { answerWithinMs: opts.cardAnswerMs } : {}),
    })
  }

  /** Starts connecting in the background; idempotent. Throws without credentials. */
  start(): void {
    if (this.state !== 'idle') return
    if (!this.opts.clientId || !this.opts.clientSecret) {
      throw new Error('the stream transport needs DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET')
    }
    this.state = 'connecting'
    void this.connect()
  }

  /** Stops for good: no timer left, every socket closed (gracefully, then cut). */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    clearTimeout(this.retryTimer)
    clearInterval(this.watchdog)
    this.retryTimer = undefined
    this.watchdog = undefined
    const grace = this.opts.closeGraceMs ?? 1000
    const all = [this.current, this.attempt].filter((c): c is GatewayClient => c !== undefined)
    this.current = undefined
    this.attempt = undefined
    await Promise.all([...all.map((c) => c.shutdown(grace)), ...this.retiring])
    // Frames acked but not handed over yet go to the core now, so its drain covers them.
    this.backlog.flush()
    this.connectedSince = undefined
    this.log.info('stream stopped')
  }

  status(): StreamStatus {
    return {
      state: this.state,
      connectedSince: this.connectedSince,
      reconnects: this.reconnects,
      lastMessageAt: this.lastMessageAt,
      messages: this.messages,
      lastError: this.lastError,
    }
  }

  /** One connection attempt; never two at once, never after `stop()`. */
  private async connect(): Promise<void> {
    this.retryTimer = undefined
    if (this.state === 'stopped' || this.attempt) return
    const client = this.newClient()
    this.attempt = client
    try {
      await client.open()
    } catch (err) {
      client.terminate()
      if (this.attempt !== client) return // stop() took it over
      this.attempt = undefined
      this.lastError = sanitize((err as Error).message)
      this.log.warn({ reason: this.lastError, failures: this.failures + 1 }, 'stream connection failed')
      this.scheduleRetry()
      return
    }
    if (this.attempt !== client) {
      client.terminate()
      return
    }
    this.attempt = undefined
    this.adopt(client)
  }

  private adopt(client: GatewayClient): void {
    const old = this.current
    this.current = client
    if (this.everConnected) this.reconnects++
    this.everConnected = true
    this.state = 'connected'
    this.connectedSince = this.clock()
    this.connectedAt = performance.now()
    this.log.info({ reconnects: this.reconnects, replacing: old !== undefined }, 'stream connected')
    if (old) this.retire(old)
    if (this.paused) client.pause()
    this.armWatchdog()
  }

  /** Closes a superseded socket; stop() waits for it. */
  private retire(client: GatewayClient): void {
    const closing = client.shutdown(this.opts.closeGraceMs ?? 1000)
    this.retiring.add(closing)
    void closing.finally(() => this.retiring.delete(closing))
  }

  /** The current socket is gone (closed, or declared dead): reconnect with backoff. */
  private lost(client: GatewayClient, reason: string): void {
    if (client !== this.current) return
    this.current = undefined
    clearInterval(this.watchdog)
    this.watchdog = undefined
    if (this.state === 'stopped') return
    if (performance.now() - this.connectedAt >= this.tuning.stableAfterMs) this.failures = 0
    this.state = 'reconnecting'
    this.connectedSince = undefined
    this.lastError = reason
    this.log.warn({ reason }, 'stream connection lost; reconnecting')
    this.scheduleRetry()
  }

  private scheduleRetry(): void {
    if (this.state === 'stopped' || this.retryTimer || this.attempt) return
    const { initialMs, maxMs } = this.tuning.backoff
    const delay = backoffDelay(this.failures, initialMs, maxMs, this.opts.random ?? Math.random)
    this.failures++
    this.log.debug({ delayMs: delay, failures: this.failures }, 'stream reconnect scheduled')
    this.retryTimer = setTimeout(() => void this.connect(), delay)
  }

  /** DingTalk closes an announced socket about 10 s later: bring the successor up first. */
  private onDisconnectAnnounced(client: GatewayClient): void {
    if (client !== this.current || this.state === 'stopped') return
    this.log.info('DingTalk announced a disconnect; opening the replacement first')
    if (performance.now() - this.connectedAt >= this.tuning.stableAfterMs) {
      this.failures = 0
      void this.connect()
    } else {
      // A socket that gets disconnected young must not turn into a reconnect loop.
      this.scheduleRetry()
    }
  }

  private armWatchdog(): void {
    clearInterval(this.watchdog)
    const limit = this.tuning.watchdogMs
    if (limit <= 0) return
    this.watchdog = setInterval(
      () => {
        const c = this.current
        // A socket we stopped reading is quiet because of us.
        if (!c || this.paused) return
        const silent = performance.now() - c.lastActivity
        if (silent >= limit) {
          c.terminate()
          this.lost(c, `socket silent for ${Math.round(silent)} ms`)
        } else if (silent >= limit / 2) {
          c.probe()
        }
      },
      Math.max(10, Math.floor(limit / 4)),
    )
  }

  private newClient(): GatewayClient {
    const client: GatewayClient = new GatewayClient({
      clientId: this.opts.clientId,
      clientSecret: this.opts.clientSecret,
      apiBase: this.opts.apiBase,
      ua: this.opts.ua ?? 'meeting-bot',
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      subscribeEvents: this.opts.subscribeEvents ?? false,
      ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}),
      ...(this.opts.wsAgent ? { wsAgent: this.opts.wsAgent } : {}),
      events: {
        robotFrame: (data, messageId, ack) => this.onRobotFrame(data, messageId, ack),
        eventFrame: (frame, messageId, ack) => this.events.take(frame, messageId, ack),
        ...(this.opts.subscribeCards
          ? {
              cardFrame: (data: unknown, messageId: string, ack: CardAck) =>
                this.cards.take(data, messageId, ack),
            }
          : {}),
        disconnectAnnounced: () => this.onDisconnectAnnounced(client),
        badFrame: this.badFrame,
        closed: (code) => this.lost(client, `socket closed (code ${code})`),
      },
    })
    return client
  }

  private readonly badFrame = (reason: string): void =>
    this.log.warn({ reason }, 'unusable stream frame ignored')

  /** Counts the frame and hands it to the backlog, which acks it once kept. */
  private onRobotFrame(data: string, messageId: string, ack: () => boolean): void {
    this.messages++
    this.lastMessageAt = this.clock()
    this.backlog.push({ data, messageId, receivedAt: this.lastMessageAt, ack })
  }

  private setPaused(paused: boolean): void {
    this.paused = paused
    for (const c of [this.current, this.attempt]) {
      if (paused) c?.pause()
      else c?.resume()
    }
    // The silence while paused was ours: the watchdog starts counting afresh.
    if (!paused && this.current) this.current.lastActivity = performance.now()
  }
}
