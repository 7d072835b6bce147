import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Bot } from '../core/bot.js'
import { EMPTY_REPLY, type Reply } from '../core/message.js'
import type { InlineSlot } from '../delivery/delivery.js'
import { type RobotMessagePayload, robotMessageSchema, toInboundMessage } from '../dingtalk/robot-message.js'
import { verifyCallbackSignature } from '../dingtalk/signature.js'

export interface HttpTransportOptions {
  readonly bot: Bot<unknown>
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
class ResponseSlot implements InlineSlot {
  private open = true
  private settle!: (reply: Reply | undefined) => void
  readonly result = new Promise<Reply | undefined>((resolve) => {
    this.settle = resolve
  })

  offer(reply: Reply): boolean {
    if (!this.open) return false
    this.open = false
    this.settle(reply)
    return true
  }

  close(): void {
    if (!this.open) return
    this.open = false
    this.settle(undefined)
  }
}

/**
 * `POST /dingtalk/callback`: verify the signature before the body is even read, validate the
 * payload's shape, hand one `InboundMessage` to the bot. Nothing else lives here.
 */
export function registerHttpTransport(app: FastifyInstance, opts: HttpTransportOptions): void {
  const clock = opts.clock ?? Date.now
  app.post<{ Body: RobotMessagePayload }>(
    CALLBACK_PATH,
    {
      bodyLimit: CALLBACK_BODY_LIMIT,
      schema: { body: robotMessageSchema },
      onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
        if (!opts.accepting()) {
          return reply.code(503).send({ error: 'shutting_down', message: 'the bot is shutting down' })
        }
        const verdict = verifyCallbackSignature(
          { timestamp: req.headers.timestamp, sign: req.headers.sign },
          opts.secret,
          clock(),
        )
        if (!verdict.ok) {
          req.log.warn({ reason: verdict.reason, ip: req.ip }, 'callback rejected: bad signature')
          return reply.code(401).send({ error: 'unauthorized', message: verdict.reason })
        }
      },
    },
    async (req) => {
      const msg = toInboundMessage(req.body, 'http', clock())
      const slot = new ResponseSlot()
      const timer = setTimeout(() => slot.close(), opts.inlineDeadlineMs)
      void opts.bot.handle(msg, slot).finally(() => slot.close())
      const reply = await slot.result
      clearTimeout(timer)
      return reply ?? EMPTY_REPLY
    },
  )
}
