import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { EmulatorCards } from './cards.js'
import type { FeedCard, FeedEvent, FeedItem, FeedLogLine, FeedState } from './feed-types.js'
import { conversationIdOf } from './messages.js'
import type { CardInstance, RecordedReply } from './types.js'

export type * from './feed-types.js'

/** What the feed reads of the emulator it belongs to. */
export interface FeedSource {
  state(): FeedState
  readonly cards: EmulatorCards
  /** Whether some fault still waits: a call may have used one up, so the state changed. */
  faultsPending(): boolean
}

/** A message the playground sent, while the feed needs it (replies are matched to it). */
export interface SentMessage {
  readonly msgId: string
  readonly session: string
  readonly conversationId: string
  readonly via: 'http' | 'stream'
  readonly payload: Record<string, unknown>
  readonly sentAt: number
  handledAt?: number
}

const MAX_ITEMS = 2000
const MAX_CALLS = 5000
const MAX_SENT = 500
const HEARTBEAT_MS = 15_000

/** The bot's lines the feed shows, by their `msg`. */
const HANDLED: Record<string, FeedLogLine['kind']> = {
  'message handled': 'message',
  // Written instead of a handled line when a message comes again (DingTalk's redelivery).
  'duplicate delivery ignored': 'message',
  'card action handled': 'card action',
  'event handled': 'event',
}

/** The fields of a log line that may go on the stream: never an object, never a URL-bearing field. */
const LINE_FIELDS = [
  'msgId',
  'conversation',
  'transport',
  'command',
  'result',
  'outcome',
  'path',
  'ref',
  'action',
  'eventType',
] as const

/** The one-to-one chat of a user with the bot (of an org, in ISV mode), as robot messages name it. */
function singleConversationId(staffId: string, corpId: string | undefined): string {
  return conversationIdOf('single', staffId, corpId ? { corpId } : undefined)
}

function conversationOfCard(card: CardInstance): string {
  return card.space.type === 'IM_GROUP' ? card.space.id : singleConversationId(card.space.id, card.corpId)
}

/**
 * The emulator's event stream for the browser playground (`GET /_emulator/feed`, Server-Sent
 * Events): the messages the playground sent, the bot's replies (inline, by webhook, by the robot
 * OpenAPI), its interactive cards as they change, the bot's per-message log lines and the
 * emulator's state after every change made through the control API. The last items are kept, so a
 * page that (re)connects gets what it missed (`Last-Event-ID`).
 */
export class EmulatorFeed {
  private readonly items: FeedEvent[] = []
  private seq = 0
  /** Each page connected: how to send it an event, how to end its stream. */
  private readonly clients = new Map<(e: FeedEvent) => void, () => void>()
  private readonly calls: Array<{ at: number; target: string }> = []
  private readonly sent = new Map<string, SentMessage>()
  private readonly sessions = new Map<string, string>()
  private stateQueued = false
  /** Whether the last state sent listed a fault. */
  private faultsShown = false
  private closed = false

  constructor(private readonly source: FeedSource) {
    void this.followCards()
  }

  publish(item: FeedItem): void {
    const event = { ...item, seq: ++this.seq } as FeedEvent
    this.items.push(event)
    if (this.items.length > MAX_ITEMS) this.items.splice(0, this.items.length - MAX_ITEMS)
    for (const send of this.clients.keys()) send(event)
  }

  /** The state changed: sent once this turn's changes are done, not kept (each page gets it fresh). */
  stateChanged(): void {
    if (this.stateQueued || this.closed) return
    this.stateQueued = true
    setImmediate(() => {
      this.stateQueued = false
      const event = this.stateEvent()
      for (const send of this.clients.keys()) send(event)
    })
  }

  /** An upstream call the emulator answered (or played a fault on). */
  call(target: string): void {
    this.calls.push({ at: Date.now(), target })
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS)
    // The call may have used up a fault: the page's list of them changes.
    if (this.faultsShown || this.source.faultsPending()) this.stateChanged()
  }

  /** A message the playground sends: replies by its session webhook are matched to it. */
  track(message: SentMessage): void {
    this.sent.set(message.msgId, message)
    this.sessions.set(message.session, message.msgId)
    if (this.sent.size <= MAX_SENT) return
    const [oldest] = this.sent.values()
    if (!oldest) return
    this.sent.delete(oldest.msgId)
    this.sessions.delete(oldest.session)
  }

  sentMessage(msgId: string): SentMessage | undefined {
    return this.sent.get(msgId)
  }

  /** The session webhooks the playground handed out (to expire them all). */
  sessionIds(): string[] {
    return [...this.sessions.keys()]
  }

  /** A reply the emulator recorded (webhook or robot OpenAPI). */
  reply(r: RecordedReply): void {
    const viaSession = r.session !== undefined ? this.sessions.get(r.session) : undefined
    const conversationId =
      (viaSession && this.sent.get(viaSession)?.conversationId) ||
      r.conversationId ||
      (r.userIds?.[0] ? singleConversationId(r.userIds[0], r.corpId) : undefined)
    // A webhook reply to a session someone else handed out (the terminal chat): not this page's.
    if (!conversationId || (r.session !== undefined && !viaSession)) return
    const answering = viaSession ?? this.inFlight(conversationId)
    const msgId = answering && this.sent.get(answering)?.handledAt === undefined ? answering : undefined
    this.publish({
      type: 'reply',
      id: `r${r.id}`,
      conversationId,
      via: r.via,
      body: r.body,
      at: r.at,
      ...(msgId ? { msgId } : {}),
    })
  }

  /** The bot's answer in the HTTP response to a callback. */
  inlineReply(msgId: string, body: unknown): void {
    const m = this.sent.get(msgId)
    if (!m) return
    this.publish({
      type: 'reply',
      id: `i${msgId}-${Date.now()}`,
      conversationId: m.conversationId,
      via: 'inline',
      body,
      at: Date.now(),
      msgId,
    })
  }

  /** One of the bot's log lines (already redacted by its logger): the handled ones and warnings. */
  botLog(line: Record<string, unknown>): void {
    const msg = typeof line.msg === 'string' ? line.msg : ''
    const level = typeof line.level === 'number' ? line.level : 30
    const kind = HANDLED[msg] ?? (level >= 40 ? 'warning' : undefined)
    if (!kind) return
    const time = typeof line.time === 'number' ? line.time : Date.now()
    const durationMs = typeof line.durationMs === 'number' ? line.durationMs : undefined
    const picked: Record<string, string> = {}
    for (const k of LINE_FIELDS) if (typeof line[k] === 'string') picked[k] = line[k] as string
    const sent = picked.msgId ? this.sent.get(picked.msgId) : undefined
    if (sent && msg === 'message handled') sent.handledAt ??= time
    if (msg === 'duplicate delivery ignored') picked.outcome = 'duplicate'
    this.publish({
      type: 'log',
      line: {
        kind,
        time,
        msg,
        ...picked,
        ...(durationMs !== undefined ? { durationMs } : {}),
        upstream: durationMs !== undefined ? this.callsBetween(time - durationMs - 1, time + 1) : {},
      },
    })
  }

  /** Something the playground tried that did not reach the bot. */
  problem(message: string, m?: SentMessage): void {
    this.publish({
      type: 'problem',
      message,
      at: Date.now(),
      ...(m ? { msgId: m.msgId, conversationId: m.conversationId } : {}),
    })
  }

  /** `GET /_emulator/feed` and the state pushes after control changes. */
  register(app: FastifyInstance): void {
    app.get('/_emulator/feed', (req, reply) => this.stream(req, reply))
    app.addHook('onResponse', async (req, reply) => {
      if (req.method !== 'GET' && req.url.startsWith('/_emulator/') && reply.statusCode < 400)
        this.stateChanged()
    })
  }

  /** Ends every page's stream (the emulator closes). */
  close(): void {
    this.closed = true
    for (const end of this.clients.values()) end()
    this.clients.clear()
  }

  private stateEvent(): FeedEvent {
    const state = this.source.state()
    this.faultsShown = state.faults.length > 0
    return { type: 'state', state, seq: this.seq }
  }

  private stream(req: FastifyRequest, reply: FastifyReply): void {
    const header = req.headers['last-event-id']
    const query = (req.query as { after?: string }).after
    const after = Number(typeof header === 'string' ? header : query) || 0
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    const write = (e: FeedEvent) => {
      res.write(`id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`)
    }
    res.write('retry: 2000\n\n')
    for (const e of this.items) if (e.seq > after) write(e)
    write(this.stateEvent())
    if (this.closed) return void res.end()
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
    beat.unref()
    this.clients.set(write, () => {
      clearInterval(beat)
      res.end()
    })
    res.on('close', () => {
      clearInterval(beat)
      this.clients.delete(write)
    })
  }

  /** The playground's message in this chat still being handled, the newest first. */
  private inFlight(conversationId: string): string | undefined {
    let found: string | undefined
    for (const m of this.sent.values())
      if (m.conversationId === conversationId && m.handledAt === undefined) found = m.msgId
    return found
  }

  private callsBetween(from: number, to: number): Record<string, number> {
    const out: Record<string, number> = {}
    for (const c of this.calls) if (c.at >= from && c.at <= to) out[c.target] = (out[c.target] ?? 0) + 1
    return out
  }

  private async followCards(): Promise<void> {
    const cards = this.source.cards
    let seen = 0
    while (!this.closed && !cards.isClosed) {
      await cards.changed(seen, 60_000)
      for (const c of cards.changedAfter(seen)) this.publish({ type: 'card', card: cardView(c) })
      seen = cards.version
    }
  }
}

function cardView(c: CardInstance): FeedCard {
  return {
    outTrackId: c.outTrackId,
    conversationId: conversationOfCard(c),
    data: c.data,
    version: c.version,
    createdAt: c.createdAt,
  }
}
