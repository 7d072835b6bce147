import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import { corkForTask } from '../dingtalk/ws-cork.js'
import {
  EVENT_TOPIC,
  type EventAckRecord,
  type EventPort,
  type EventSpec,
  eventAckStatus,
  eventFrame,
  subscribesTo,
} from './events.js'
import { GatewayDoor, type Intercept } from './gateway-door.js'
import {
  type AckRecord,
  type ConnectionRecord,
  frame,
  frameHeaders,
  newMessageId,
  type PongRecord,
  subscribesToCallback,
  TOPIC_ROBOT,
} from './gateway-protocol.js'
import { ReplyBook } from './gateway-replies.js'

export type { AckRecord, ConnectionRecord, PongRecord } from './gateway-protocol.js'
export { GATEWAY_CONNECT_PATH, GATEWAY_OPEN_PATH, TOPIC_ROBOT } from './gateway-protocol.js'

export interface StreamGatewayOptions {
  readonly clientId: string
  readonly clientSecret: string
  /** DingTalk's tickets are single-use and valid about 90 s. */
  readonly ticketTtlMs?: number
  /** After a SYSTEM `disconnect` frame DingTalk closes the socket about 10 s later. */
  readonly disconnectCloseMs?: number
  /**
   * Re-push a CALLBACK frame not acked within this time, with a NEW `messageId` and the same data
   * (platform notes §8: DingTalk waits about 2 s); 0 never does.
   */
  readonly redeliverAfterMs?: number
  /** How many times one frame is re-pushed at most. */
  readonly maxRedeliveries?: number
  /** Send a SYSTEM ping to every live socket this often; 0 never does. */
  readonly pingIntervalMs?: number
  /**
   * Push EVENT frames (meeting events) to the connections that subscribed to them; false pushes
   * none, as when the app's console subscribes to no events: the bot must poll. Default true.
   */
  readonly events?: boolean
  /** `eventCorpId` of EVENT frames. */
  readonly corpId?: string
}

interface Live {
  readonly record: ConnectionRecord
  readonly ws: WebSocket
  closeTimer?: NodeJS.Timeout
}

interface Pending {
  /** The messageId of the first push; re-pushes get new ones (`messageIds`). */
  readonly original: string
  readonly messageIds: string[]
  readonly topic: string
  readonly data: string
  /** Set for an EVENT frame: re-pushed only to connections subscribed to it. */
  readonly event?: EventSpec
  /** Pushed (and re-pushed) only to connections that subscribed CALLBACK frames of `topic`. */
  readonly subscribed?: boolean
  pushedAt: number
  deliveries: number
  timer?: NodeJS.Timeout
}

/**
 * The emulator's Stream-mode gateway (platform notes §3): `POST /v1.0/gateway/connections/open`
 * hands out single-use tickets, `GET /connect?ticket=` upgrades to a WebSocket speaking DingTalk's
 * frame protocol. Knobs for tests: push robot frames, ping, announce a disconnect, drop sockets,
 * refuse handshakes, go silent, re-push unacked frames (new messageId, same data), send junk. It records acks and pongs.
 * EVENT frames (meeting events, `pushEvent`) go only to connections whose open call subscribed to
 * them, and can be turned off (`events: false`, `setEvents`).
 */
export class StreamGateway implements EventPort {
  private readonly replies = new ReplyBook()
  readonly acks: readonly AckRecord[] = this.replies.acks
  /** Acks of EVENT frames (also in `acks`), with their status (`ReplyBook.eventAcks`). */
  readonly eventAcks: readonly EventAckRecord[] = this.replies.eventAcks
  readonly pongs: readonly PongRecord[] = this.replies.pongs
  /** Every connection ever accepted, in order, with its open and close times. */
  readonly connections: ConnectionRecord[] = []
  handshakes = 0
  maxOpenSockets = 0
  pushed = 0
  redelivered = 0
  /** Frames from the bot that are neither an ack nor a pong. */
  strayFrames = 0
  /** EVENT frames pushed first (not re-pushes); events with no subscribed connection; events off. */
  eventsPushed = 0
  eventsUndelivered = 0
  eventsSuppressed = 0
  private eventsOn: boolean

  private readonly opts: Required<StreamGatewayOptions>
  private readonly door: GatewayDoor
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false, maxPayload: 1 << 20 })
  private readonly live = new Map<string, Live>()
  private readonly pending = new Map<string, Pending>()
  /** Every EVENT push by messageId, kept after its ack: a late ack of a re-push is an event ack too. */
  private readonly eventPushes = new Map<string, EventSpec>()
  private readonly connectionListeners: Array<(connectionId: string) => void> = []
  private connSeq = 0
  private pinger: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly app: FastifyInstance,
    intercept: Intercept,
    opts: StreamGatewayOptions,
  ) {
    this.opts = {
      ticketTtlMs: 90_000,
      disconnectCloseMs: 10_000,
      redeliverAfterMs: 2_000,
      maxRedeliveries: 3,
      pingIntervalMs: 0,
      events: true,
      corpId: 'dingcorpEmulator',
      ...opts,
    }
    this.eventsOn = this.opts.events
    this.door = new GatewayDoor(app, intercept, this.opts)
    app.server.on('upgrade', this.onUpgrade)
    if (this.opts.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.pingAll(), this.opts.pingIntervalMs)
    }
  }

  get openSockets(): number {
    return this.live.size
  }

  /** Ids of the connections currently open. */
  liveConnections(): string[] {
    return [...this.live.keys()]
  }

  /** Calls `listener` with the id of every connection accepted from now on (ISV: the ticket push). */
  onConnection(listener: (connectionId: string) => void): void {
    this.connectionListeners.push(listener)
  }

  /** Answers the next `n` handshakes with `status` even when the ticket is valid. */
  refuseHandshakes(n: number, status = 503): void {
    this.door.refuseHandshakes(n, status)
  }

  // What the door counted: open calls, tickets, handshakes.
  get openCalls(): number {
    return this.door.openCalls
  }
  /** Epoch ms of every open call, faulted or not. */
  get openTimes(): readonly number[] {
    return this.door.openTimes
  }
  /** Tickets handed out, so tests can check no log ever holds one. */
  get issuedTickets(): readonly string[] {
    return this.door.issuedTickets
  }
  /** The subscriptions of the latest successful open call. */
  get lastSubscriptions(): readonly unknown[] {
    return this.door.lastSubscriptions
  }
  /** Upgrade requests, whatever their outcome. */
  get handshakeAttempts(): number {
    return this.door.handshakeAttempts
  }
  get rejectedHandshakes(): number {
    return this.door.rejectedHandshakes
  }

  /**
   * Pushes a robot CALLBACK frame to one live connection (random unless chosen). `data` is the
   * JSON of `payload`; a string payload goes out verbatim (for junk). Returns the frame's messageId.
   * `subscribed`: only to (and re-pushed only to) connections whose open call subscribed
   * `{type: "CALLBACK", topic}`, as DingTalk does for card callbacks; throws when there is none.
   */
  push(
    payload: unknown,
    opts: { messageId?: string; connection?: string; topic?: string; subscribed?: boolean } = {},
  ): string {
    const messageId = opts.messageId ?? newMessageId()
    const topic = opts.topic ?? TOPIC_ROBOT
    const live = opts.subscribed ? this.pickSubscribed(topic, opts.connection) : this.pick(opts.connection)
    const p: Pending = {
      original: messageId,
      messageIds: [messageId],
      topic,
      data: typeof payload === 'string' ? payload : JSON.stringify(payload),
      ...(opts.subscribed ? { subscribed: true } : {}),
      pushedAt: performance.now(),
      deliveries: 0,
    }
    clearTimeout(this.pending.get(messageId)?.timer)
    this.pending.set(messageId, p)
    this.pushed++
    this.deliver(messageId, p, live)
    return messageId
  }

  get eventsEnabled(): boolean {
    return this.eventsOn
  }

  /** Turns EVENT frames on or off (frames already pushed are still re-pushed until acked). */
  setEvents(enabled: boolean): void {
    this.eventsOn = enabled
  }

  /**
   * Pushes an EVENT frame to one live connection subscribed to it (random unless chosen), re-pushed
   * like a CALLBACK frame until acked SUCCESS (an ack saying LATER asks for a re-push). Returns the
   * messageId, or undefined when events are off or no connection subscribed (counted, not thrown:
   * DingTalk does not tell the app about events it could not deliver).
   */
  pushEvent(
    spec: EventSpec,
    opts: { connection?: string; messageId?: string; always?: boolean } = {},
  ): string | undefined {
    if (!this.eventsOn && !opts.always) {
      this.eventsSuppressed++
      return undefined
    }
    const subscribed = [...this.live.values()].filter(
      (l) => (!opts.connection || l.record.id === opts.connection) && this.wants(l, spec),
    )
    const live = subscribed[Math.floor(Math.random() * subscribed.length)]
    if (!live) {
      this.eventsUndelivered++
      return undefined
    }
    const messageId = opts.messageId ?? newMessageId()
    const p: Pending = {
      original: messageId,
      messageIds: [messageId],
      topic: EVENT_TOPIC,
      data: spec.data,
      event: spec,
      pushedAt: performance.now(),
      deliveries: 0,
    }
    this.pending.set(messageId, p)
    this.eventsPushed++
    this.deliver(messageId, p, live)
    return messageId
  }

  /** Sends a SYSTEM ping; the bot must answer with the same headers and data. */
  ping(opts: { connection?: string; data?: string } = {}): string {
    const live = this.pick(opts.connection)
    const messageId = newMessageId()
    const data = opts.data ?? JSON.stringify({ opaque: randomBytes(4).toString('hex') })
    this.replies.pinged(messageId, data)
    this.send(live, this.systemFrame(live, 'ping', messageId, data))
    return messageId
  }

  /** Announces a disconnect, then closes that socket `closeAfterMs` later. Returns the connection id. */
  sendDisconnect(opts: { connection?: string; closeAfterMs?: number } = {}): string {
    const live = this.pick(opts.connection)
    const data = JSON.stringify({ reason: 'server restarting' })
    this.send(live, this.systemFrame(live, 'disconnect', newMessageId(), data))
    clearTimeout(live.closeTimer)
    live.closeTimer = setTimeout(
      () => live.ws.close(1000, 'disconnect'),
      opts.closeAfterMs ?? this.opts.disconnectCloseMs,
    )
    return live.record.id
  }

  /** Sends raw text (or bytes) as one frame: non-JSON, truncated JSON, odd shapes. */
  sendRaw(data: string | Buffer, opts: { connection?: string } = {}): void {
    this.send(this.pick(opts.connection), data)
  }

  /** Drops every socket without a close handshake, like a network failure. Returns how many. */
  dropAll(): number {
    const n = this.live.size
    for (const l of this.live.values()) l.ws.terminate()
    return n
  }

  /** The chosen (default: every open) connection stops sending anything, pongs included. */
  silence(connection?: string): void {
    for (const l of this.live.values()) if (!connection || l.record.id === connection) l.record.silent = true
  }

  get duplicateAcks(): number {
    return this.replies.duplicateAcks
  }

  waitForAck(messageId: string, timeoutMs = 5000): Promise<AckRecord> {
    return this.replies.waitForAck(messageId, timeoutMs)
  }

  waitForPong(messageId: string, timeoutMs = 5000): Promise<PongRecord> {
    return this.replies.waitForPong(messageId, timeoutMs)
  }

  /** Polls `cond` every few ms until it holds. */
  async waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`gateway: ${what} not reached after ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  ackFor(messageId: string): AckRecord | undefined {
    return this.replies.ackFor(messageId)
  }

  /** Terminates every socket and clears every timer; the HTTP server closes after this. */
  close(): void {
    this.closed = true
    clearInterval(this.pinger)
    for (const p of this.pending.values()) clearTimeout(p.timer)
    this.pending.clear()
    for (const l of this.live.values()) {
      clearTimeout(l.closeTimer)
      l.ws.terminate()
    }
    this.app.server.off('upgrade', this.onUpgrade)
    this.wss.close()
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy())
    const admitted = this.door.admit(req.url ?? '/', this.closed)
    if (typeof admitted === 'number') this.door.reject(socket, admitted)
    else this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, admitted))
  }

  private accept(ws: WebSocket, subscriptions: readonly unknown[]): void {
    const record: ConnectionRecord = {
      id: `conn-${++this.connSeq}`,
      openedAt: Date.now(),
      closedAt: undefined,
      closeCode: undefined,
      silent: false,
      subscriptions,
    }
    const live: Live = { record, ws }
    this.connections.push(record)
    this.live.set(record.id, live)
    this.handshakes++
    this.maxOpenSockets = Math.max(this.maxOpenSockets, this.live.size)
    ws.on('message', (data) => this.onFrame(live, data))
    ws.on('ping', (data) => {
      if (!record.silent) ws.pong(data)
    })
    ws.on('error', () => {})
    ws.on('close', (code) => {
      clearTimeout(live.closeTimer)
      record.closedAt = Date.now()
      record.closeCode = code
      this.live.delete(record.id)
    })
    for (const listener of this.connectionListeners) listener(record.id)
  }

  private onFrame(live: Live, data: RawData): void {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(data.toString()) as Record<string, unknown>
    } catch {
      this.strayFrames++
      return
    }
    const messageId = (msg?.headers as { messageId?: unknown } | undefined)?.messageId
    if (typeof messageId !== 'string' || msg.code === undefined) {
      this.strayFrames++
      return
    }
    const at = Date.now()
    if (this.replies.pong(messageId, live.record.id, at, msg)) return
    // Any push of the frame acked ends its re-pushes, whichever messageId it carried; an event
    // acked LATER keeps them (the bot asks to be told again).
    const p = this.pending.get(messageId)
    const event = p?.event ?? this.eventPushes.get(messageId)
    const status = event ? eventAckStatus(msg) : undefined
    if (p && status !== 'LATER') {
      clearTimeout(p.timer)
      for (const id of p.messageIds) this.pending.delete(id)
    }
    const original = p && p.original !== messageId ? p.original : undefined
    const ack: AckRecord = {
      messageId,
      ...(original ? { original } : {}),
      code: msg.code,
      connectionId: live.record.id,
      at,
      latencyMs: p ? performance.now() - p.pushedAt : undefined,
      frame: msg,
    }
    const eventAck = event && {
      messageId,
      eventId: event.eventId,
      eventType: event.eventType,
      status,
      connectionId: live.record.id,
      at,
    }
    this.replies.ack(ack, eventAck)
  }

  private deliver(messageId: string, p: Pending, live: Live): void {
    if (p.event) this.eventPushes.set(messageId, p.event)
    p.deliveries++
    p.pushedAt = performance.now()
    this.send(live, this.pushFrame(live, messageId, p))
    if (this.opts.redeliverAfterMs <= 0 || p.deliveries > this.opts.maxRedeliveries) return
    p.timer = setTimeout(() => this.redeliver(messageId, p), this.opts.redeliverAfterMs)
  }

  private redeliver(messageId: string, p: Pending): void {
    if (this.pending.get(messageId) !== p || this.closed) return
    const candidates = [...this.live.values()].filter(
      (l) =>
        l.ws.readyState === l.ws.OPEN &&
        (!p.event || this.wants(l, p.event)) &&
        (!p.subscribed || subscribesToCallback(l.record.subscriptions, p.topic)),
    )
    const live = candidates[Math.floor(Math.random() * candidates.length)]
    if (!live) {
      p.timer = setTimeout(() => this.redeliver(messageId, p), this.opts.redeliverAfterMs)
      return
    }
    this.redelivered++
    const again = newMessageId()
    p.messageIds.push(again)
    this.pending.set(again, p)
    this.deliver(again, p, live)
  }

  private pick(connection?: string): Live {
    if (connection) {
      const live = this.live.get(connection)
      if (!live) throw new Error(`gateway: connection ${connection} is not open`)
      return live
    }
    const all = [...this.live.values()].filter((l) => l.ws.readyState === l.ws.OPEN)
    const live = all[Math.floor(Math.random() * all.length)]
    if (!live) throw new Error('gateway: no live stream connection')
    return live
  }

  private pickSubscribed(topic: string, connection?: string): Live {
    const all = [...this.live.values()].filter(
      (l) =>
        l.ws.readyState === l.ws.OPEN &&
        (!connection || l.record.id === connection) &&
        subscribesToCallback(l.record.subscriptions, topic),
    )
    const live = all[Math.floor(Math.random() * all.length)]
    if (!live) throw new Error(`gateway: no live stream connection subscribed to ${topic}`)
    return live
  }

  /** An open connection whose open call subscribed to this event. */
  private wants(live: Live, spec: EventSpec): boolean {
    return live.ws.readyState === live.ws.OPEN && subscribesTo(live.record.subscriptions, spec.eventType)
  }

  private send(live: Live, frame: string | Buffer): void {
    if (live.record.silent || live.ws.readyState !== live.ws.OPEN) return
    corkForTask(live.ws)
    live.ws.send(frame)
  }

  private pingAll(): void {
    for (const l of this.live.values()) if (!l.record.silent) this.ping({ connection: l.record.id })
  }

  private pushFrame(live: Live, messageId: string, p: Pending): string {
    const headers = frameHeaders(this.opts.clientId, live.record.id, messageId, p.topic)
    if (p.event) return eventFrame(headers, p.event, p.event.corpId ?? this.opts.corpId, this.opts.clientId)
    return frame('CALLBACK', headers, p.data)
  }

  private systemFrame(live: Live, topic: string, messageId: string, data: string): string {
    return frame('SYSTEM', frameHeaders(this.opts.clientId, live.record.id, messageId, topic), data)
  }
}
