import type { Agent } from 'node:http'
import {
  DWClient,
  type DWClientConfig,
  type DWClientDownStream,
  TOPIC_CARD,
  TOPIC_ROBOT,
} from 'dingtalk-stream'
import WebSocket from 'ws'
import type { FetchFn } from '../../dingtalk/http.js'
import { corkForTask } from '../../dingtalk/ws-cork.js'
import type { CardAck } from './card-intake.js'
import type { EventAck } from './event-intake.js'
import { parseStreamFrame, replyFrame, sanitize } from './frames.js'
import { openGateway } from './gateway-open.js'

export { GATEWAY_OPEN_PATH, GatewayOpenError } from './gateway-open.js'
export { TOPIC_CARD, TOPIC_ROBOT }

/** Robot frames are a few KiB; anything near this is not DingTalk talking. */
const MAX_FRAME_BYTES = 4 << 20
/** What a connection subscribes to for platform events: every type the console pushes (§8). */
const EVENTS = { type: 'EVENT', topic: '*' } as const

/**
 * Answers one CALLBACK frame on one topic, ack included: a robot message is acked with
 * `{"response":null}` once it is kept (by the backlog); a card button click
 * (`/v1.0/card/instances/callback`) is acked within 2 s with the card data in the ack's data.
 */
type CallbackHandler = (frame: DWClientDownStream, messageId: string) => void

/** What one connection tells its supervisor. None of these may throw into the socket's handlers. */
export interface ClientEvents {
  /** A robot CALLBACK frame, not acked yet: `ack` acks it on this socket (false once it has gone). */
  robotFrame(data: string, messageId: string, ack: () => boolean): void
  /** An EVENT frame with a messageId, not acked yet: `ack` acks it on this socket with a status. */
  eventFrame(frame: DWClientDownStream, messageId: string, ack: EventAck): void
  /**
   * A card click (a CALLBACK frame on `TOPIC_CARD`), not acked yet: `ack` acks it on this socket
   * with the answer. Present: the connection subscribes to card clicks; absent: it does not.
   */
  cardFrame?(data: unknown, messageId: string, ack: CardAck): void
  /** DingTalk announced it will close this socket soon. */
  disconnectAnnounced(): void
  /** A frame we could not use; `reason` never holds frame content. */
  badFrame(reason: string): void
  /** The socket closed after it had opened. */
  closed(code: number): void
}

export interface GatewayClientOptions {
  readonly clientId: string
  readonly clientSecret: string
  readonly apiBase: string
  readonly ua: string
  /** Bound on the gateway open call and on the WebSocket handshake. */
  readonly timeoutMs: number
  readonly events: ClientEvents
  /** Also subscribe to platform events (some feature handles them); otherwise CALLBACK topics only. */
  readonly subscribeEvents?: boolean
  readonly fetch?: FetchFn
  /**
   * The agent for the socket to this URL (a tunnel through a proxy); undefined: direct. `signal`
   * is aborted when the handshake fails, so a tunnel still being set up is not left behind.
   */
  readonly wsAgent?: (url: URL, signal: AbortSignal) => Agent | undefined
}

/**
 * `dingtalk-stream`'s `DWClient` for ONE connection attempt, with the parts that bite replaced:
 * the gateway is called on a configurable API base; the socket is opened without the SDK's
 * unconditional console output; frames are parsed defensively (the SDK's `JSON.parse` in a socket
 * handler crashes the process on junk); frames are acked on their own socket, and only while it is
 * open (`ws.send` throws while connecting): robot messages once kept, card clicks with their
 * answer (`card-intake.ts`), other CALLBACK topics at once, EVENT frames with the core's outcome
 * (`event-intake.ts`). It can stop reading its socket (`pause`) for backpressure. It never
 * reconnects by itself: `StreamTransport` supervises.
 */
export class GatewayClient extends DWClient {
  /** `performance.now()` of the latest sign of life: any frame, ping or pong. */
  lastActivity = performance.now()
  private ws: WebSocket | undefined
  private readonly abort = new AbortController()
  private closedOnce = false
  /** CALLBACK frames by topic; the connection subscribes to exactly these topics. */
  private readonly callbacks: ReadonlyMap<string, CallbackHandler>

  constructor(private readonly opts: GatewayClientOptions) {
    const config: DWClientConfig = {
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      ua: opts.ua,
      subscriptions: [],
      autoReconnect: false,
      keepAlive: false,
      debug: false,
    }
    super(config)
    const callbacks = new Map<string, CallbackHandler>([
      [TOPIC_ROBOT, (frame, messageId) => this.onRobotMessage(frame, messageId)],
    ])
    if (opts.events.cardFrame)
      callbacks.set(TOPIC_CARD, (frame, messageId) => this.onCardClick(frame, messageId))
    this.callbacks = callbacks
    // Our own array, never the SDK's shared default (which subscribes to every EVENT).
    this.config.subscriptions = [
      ...[...this.callbacks.keys()].map((topic) => ({ type: 'CALLBACK', topic })),
      ...(opts.subscribeEvents ? [EVENTS] : []),
    ]
  }

  /** Opens the connection: gateway call, then WebSocket handshake. Rejects on either failure. */
  async open(): Promise<void> {
    await this.getEndpoint()
    if (this.abort.signal.aborted) throw new Error('aborted')
    await this._connect()
  }

  /** The SDK prints config (secret included) and tickets here when debugging: never. */
  override printDebug(): void {}

  override async getEndpoint(): Promise<this> {
    const { apiBase, clientId, clientSecret, ua, timeoutMs, fetch } = this.opts
    const { subscriptions } = this.config
    const signal = this.abort.signal
    const url = await openGateway({
      apiBase,
      clientId,
      clientSecret,
      ua,
      subscriptions,
      timeoutMs,
      signal,
      fetch,
    })
    // `dw_url` is TS-private in the SDK; it is the one place the SDK keeps the socket URL.
    ;(this as unknown as { dw_url: string }).dw_url = url
    return this
  }

  override _connect(): Promise<void> {
    const url = (this as unknown as { dw_url?: string }).dw_url
    if (!url) return Promise.reject(new Error('no endpoint: call getEndpoint() first'))
    return new Promise<void>((resolve, reject) => {
      let ws: WebSocket
      const handshake = new AbortController()
      try {
        const agent = this.opts.wsAgent?.(new URL(url), handshake.signal)
        ws = new WebSocket(url, {
          handshakeTimeout: this.opts.timeoutMs,
          maxPayload: MAX_FRAME_BYTES,
          ...(agent ? { agent } : {}),
        })
      } catch (err) {
        // ws puts the whole URL, ticket included, into this message.
        reject(new Error(`cannot open the socket: ${sanitize((err as Error).message)}`))
        return
      }
      this.ws = ws
      // The SDK's send()/socketCallBackResponse() write to this TS-private field.
      ;(this as unknown as { socket?: WebSocket }).socket = ws
      let opened = false
      // ws's handshakeTimeout only starts once it has a socket; through a proxy that never answers
      // the CONNECT it would wait for ever. This bounds the whole handshake, tunnel included.
      const deadline = setTimeout(() => {
        if (opened) return
        reject(new Error(`handshake timed out after ${this.opts.timeoutMs} ms`))
        ws.terminate()
      }, this.opts.timeoutMs)
      ws.on('open', () => {
        clearTimeout(deadline)
        opened = true
        this.connected = true
        this.touch()
        resolve()
      })
      ws.on('message', (data) => {
        this.touch()
        this.onDownStream(data.toString())
      })
      ws.on('ping', () => this.touch())
      ws.on('pong', () => this.touch())
      ws.on('error', (err) => {
        if (!opened) reject(new Error(`handshake failed: ${sanitize(err.message)}`))
        ws.terminate()
      })
      ws.on('close', (code) => {
        clearTimeout(deadline)
        this.connected = false
        if (!opened) {
          handshake.abort()
          reject(new Error(`socket closed during the handshake (code ${code})`))
          return
        }
        if (this.closedOnce) return
        this.closedOnce = true
        this.opts.events.closed(code)
      })
    })
  }

  /** Parses one frame; junk is reported, never thrown (the SDK would crash the process). */
  override onDownStream(data: string): void {
    const frame = parseStreamFrame(data)
    if (typeof frame === 'string') {
      this.opts.events.badFrame(frame)
      return
    }
    try {
      if (frame.type === 'SYSTEM') this.onSystem(frame)
      else if (frame.type === 'CALLBACK') this.onCallback(frame)
      else if (frame.type === 'EVENT') this.onEvent(frame)
      else this.opts.events.badFrame(`unknown frame type ${String(frame.type).slice(0, 20)}`)
    } catch (err) {
      this.opts.events.badFrame(`frame handling failed: ${(err as Error).message}`)
    }
  }

  override onSystem(frame: DWClientDownStream): void {
    const topic = frame.headers.topic
    if (topic === 'ping') {
      // The SDK's answer is right (code 200, same headers, same data); it just must not throw.
      if (this.isOpen) super.onSystem(frame)
    } else if (topic === 'disconnect') {
      this.opts.events.disconnectAnnounced()
    }
  }

  /** Routes a CALLBACK frame by topic; one on a topic we do not route is acked (no re-push), reported. */
  override onCallback(frame: DWClientDownStream): void {
    const messageId = frame.headers.messageId
    if (typeof messageId !== 'string' || !messageId) {
      this.opts.events.badFrame('CALLBACK frame without messageId')
      return
    }
    const handler = this.callbacks.get(frame.headers.topic)
    if (handler) {
      handler(frame, messageId)
      return
    }
    this.ack(messageId)
    this.opts.events.badFrame('CALLBACK frame that is not a robot message')
  }

  /** Hands the frame over with its ack, on this very socket, for once the message is kept. */
  private onRobotMessage(frame: DWClientDownStream, messageId: string): void {
    if (typeof frame.data !== 'string') {
      this.ack(messageId)
      this.opts.events.badFrame('CALLBACK frame that is not a robot message')
      return
    }
    this.opts.events.robotFrame(frame.data, messageId, () => this.ack(messageId))
  }

  /** A card click: handed over with an ack that carries the answer, on this very socket. */
  private onCardClick(frame: DWClientDownStream, messageId: string): void {
    this.opts.events.cardFrame?.(frame.data, messageId, (answer) => {
      if (!this.isOpen) return false
      this.send(messageId, answer)
      return true
    })
  }

  /** Every EVENT frame (platform notes §8): handed over with its ack, on this very socket. */
  override onEvent(frame: DWClientDownStream): void {
    const messageId = frame.headers.messageId
    if (typeof messageId !== 'string' || !messageId) {
      this.opts.events.badFrame('EVENT frame without messageId')
      return
    }
    this.opts.events.eventFrame(frame, messageId, (status) => {
      if (!this.isOpen) return false
      this.send(messageId, { status })
      return true
    })
  }

  /** Starts a close handshake (the SDK's version logs to the console). */
  override disconnect(): void {
    this.abort.abort()
    const ws = this.ws
    if (!ws || ws.readyState === WebSocket.CLOSED) return
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
    else ws.close(1000, 'bye')
  }

  /** Ends the connection, gracefully within `graceMs`, then by force. Resolves once closed. */
  shutdown(graceMs: number): Promise<void> {
    const ws = this.ws
    this.disconnect()
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => ws.terminate(), graceMs)
      ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  terminate(): void {
    this.abort.abort()
    this.ws?.terminate()
  }

  /** A WebSocket ping: DingTalk's server answers it, so a silent but healthy socket shows life. */
  probe(): void {
    if (this.isOpen) this.ws?.ping()
  }

  /** Stops reading the socket: frames wait in TCP buffers and at DingTalk (backpressure). */
  pause(): void {
    if (this.ws && !this.ws.isPaused) this.ws.pause()
  }

  resume(): void {
    if (this.ws?.isPaused) this.ws.resume()
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN
  }

  private ack(messageId: string): boolean {
    if (!this.isOpen) return false
    this.send(messageId, { response: null })
    return true
  }

  /**
   * Every ack goes out here (the SDK's `socketCallBackResponse` calls it too). The acks of one
   * task (the frames of one commit) leave in one write (`corkForTask`).
   */
  override send(messageId: string, value: unknown): void {
    const ws = this.ws
    if (!ws) return
    corkForTask(ws)
    ws.send(replyFrame(messageId, value))
  }

  private touch(): void {
    this.lastActivity = performance.now()
  }
}
