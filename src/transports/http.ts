import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { EMPTY_REPLY, type Reply, type ReplySink } from '../core/message.js'
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

/** Holds the HTTP response open for a fast answer; after the deadline the reply goes by webhook. */
class ResponseSlot implements ReplySink {
  /** Dropped once answered: the deadline queue may hold the slot a while longer. */
  private reply: FastifyReply | undefined

  constructor(reply: FastifyReply) {
    this.reply = reply
  }

  offer(answer: Reply): boolean {
    return this.send(answer)
  }

  /** No answer (yet): `empty` now; the answer, if any, goes by webhook. */
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
      next.slot.close()
      next = this.queue[++this.head]
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    if (next) this.timer = setTimeout(() => this.due(), Math.max(1, next.at - now))
  }

  /** Server closing: every open response gets its `empty` now. */
  closeAll(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]?.slot.close()
    this.queue = []
    this.head = 0
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
  app.addHook('onClose', (_app, done) => {
    deadlines.closeAll()
    done()
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
      const slot = new ResponseSlot(reply)
      deadlines.add(slot)
      void opts.port.handle(toInboundMessage(req.body, 'http', clock()), slot).finally(() => slot.close())
    },
  )
}
