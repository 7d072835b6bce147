import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { EMPTY_REPLY, type InboundMessage, type Reply, type ReplySink } from '../core/message.js'
import type { InboundPort } from '../core/port.js'
import { type RobotMessagePayload, robotMessageSchema, toInboundMessage } from '../dingtalk/robot-message.js'
import { SignatureMemo, verifyCallbackSignature } from '../dingtalk/signature.js'

export interface HttpTransportOptions {
  readonly port: InboundPort
  /** The app secret: DingTalk signs callbacks with it. */
  readonly secret: string
  /** How long the HTTP response waits for the answer before it goes to the session webhook. */
  readonly inlineDeadlineMs: number
  readonly clock?: () => number
  /** False while shutting down: callbacks get 503 so DingTalk retries elsewhere. */
  readonly accepting: () => boolean
}

export const CALLBACK_PATH = '/dingtalk/callback'
export const CALLBACK_BODY_LIMIT = 64 * 1024

/**
 * Holds the HTTP response open for a fast answer. At the deadline the message is kept in the
 * inbox first, and only then is DingTalk told `empty`: once that response is out, a crash does not
 * lose the message. The answer goes by webhook (or inline still, if it comes before `empty` does).
 */
class ResponseSlot implements ReplySink {
  /** Dropped once answered: the deadline queue may hold the slot a while longer. */
  private reply: FastifyReply | undefined
  private keeping: Promise<void> | undefined

  constructor(
    reply: FastifyReply,
    private readonly msg: InboundMessage,
    private readonly port: InboundPort,
  ) {
    this.reply = reply
  }

  offer(answer: Reply): boolean {
    return this.send(answer)
  }

  /** No answer yet: keep the message, then `empty`. Could not keep it: 503, DingTalk retries. */
  expire(): Promise<void> {
    if (!this.reply) return Promise.resolve()
    this.keeping ??= this.port.keep(this.msg).then(
      () => void this.send(EMPTY_REPLY),
      (err: unknown) => {
        const reply = this.reply
        if (!reply) return
        this.reply = undefined
        reply.log.error({ err, msgId: this.msg.id }, 'message could not be kept; 503 so DingTalk retries')
        void reply.code(503).send({ error: 'not_kept', message: 'the bot could not record the message' })
      },
    )
    return this.keeping
  }

  /** The message is through: `empty` if nothing was sent (the answer, if any, went by webhook). */
  close(): void {
    this.send(EMPTY_REPLY)
  }

  private send(payload: Reply | typeof EMPTY_REPLY): boolean {
    const reply = this.reply
    if (!reply) return false
    this.reply = undefined
    void reply.send(payload)
    return true
  }
}

/**
 * The inline deadlines of every open response, on one timer: they all wait the same time, so the
 * first in is the first due. (A timer per request was measured at several µs to set and clear.)
 */
class Deadlines {
  private queue: Array<{ readonly at: number; readonly slot: ResponseSlot }> = []
  private head = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly ms: number) {}

  add(slot: ResponseSlot): void {
    this.queue.push({ at: performance.now() + this.ms, slot })
    this.timer ??= setTimeout(() => this.due(), this.ms)
  }

  private due(): void {
    this.timer = undefined
    const now = performance.now()
    let next = this.queue[this.head]
    while (next && next.at <= now) {
      void next.slot.expire()
      next = this.queue[++this.head]
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    if (next) this.timer = setTimeout(() => this.due(), Math.max(1, next.at - now))
  }

  /** Server closing: every open response gets its `empty` now, once its message is kept. */
  async closeAll(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const open = this.queue.slice(this.head).map((d) => d.slot.expire())
    this.queue = []
    this.head = 0
    await Promise.all(open)
  }
}

/**
 * `POST /dingtalk/callback`: verify the signature before the body is even read, validate the
 * payload's shape, hand one `InboundMessage` to the core's port. Nothing else lives here.
 */
export function registerHttpTransport(app: FastifyInstance, opts: HttpTransportOptions): void {
  const clock = opts.clock ?? Date.now
  const deadlines = new Deadlines(opts.inlineDeadlineMs)
  const signatures = new SignatureMemo(opts.secret)
  app.addHook('onClose', async () => {
    await deadlines.closeAll()
  })
  app.post<{ Body: RobotMessagePayload }>(
    CALLBACK_PATH,
    {
      bodyLimit: CALLBACK_BODY_LIMIT,
      schema: { body: robotMessageSchema },
      onRequest: (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
        if (!opts.accepting()) {
          reply.code(503).send({ error: 'shutting_down', message: 'the bot is shutting down' })
          return
        }
        if (opts.port.busy()) {
          // Backpressure: DingTalk retries later; nothing was read, nothing is owed.
          reply
            .code(503)
            .header('retry-after', '1')
            .send({ error: 'busy', message: 'too many messages in flight' })
          return
        }
        const verdict = verifyCallbackSignature(
          { timestamp: req.headers.timestamp, sign: req.headers.sign },
          signatures,
          clock(),
        )
        if (!verdict.ok) {
          req.log.warn({ reason: verdict.reason, ip: req.ip }, 'callback rejected: bad signature')
          reply.code(401).send({ error: 'unauthorized', message: verdict.reason })
          return
        }
        done()
      },
    },
    (req, reply) => {
      // The answer, or `empty` at the deadline or when there is none; never both (the slot sends once).
      const msg = toInboundMessage(req.body, 'http', clock())
      const slot = new ResponseSlot(reply, msg, opts.port)
      deadlines.add(slot)
      void opts.port.handle(msg, slot).finally(() => slot.close())
    },
  )
}
