import { setTimeout as sleep } from 'node:timers/promises'
import type { InboundMessage, Reply } from '../core/message.js'
import type { Deliverer, DeliverRequest } from '../core/steps/deliver.js'
import { backoffDelay } from '../dingtalk/http.js'
import type { Logger } from '../logger.js'
import type { Pacer } from './pacer.js'
import type { RobotSender } from './robot-api.js'

/** What the reply fallback needs of the robot OpenAPI: send in answer to a message. */
export type RobotReplies = Pick<RobotSender, 'send'>

import { Semaphore } from './semaphore.js'
import { WebhookRefusedError, type WebhookSender } from './webhook.js'

export type DeliveryPath = 'inline' | 'webhook' | 'openapi'

export class DeliveryFailedError extends Error {
  constructor(
    readonly reason: 'refused' | 'flooded' | 'robot-disabled' | 'failed',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`reply not delivered (${reason}): ${detail}`, options)
    this.name = 'DeliveryFailedError'
  }
}

export interface DeliveryOptions {
  /** Webhook attempts for busy, too-fast and unreachable answers before the OpenAPI fallback. */
  readonly webhookAttempts: number
  readonly busyDelayMs: number
  readonly tooFastDelayMs: number
  /** Treat the webhook as expired this long before DingTalk's `sessionWebhookExpiredTime`. */
  readonly expiryMarginMs: number
  /** Sends in flight at once (webhook and OpenAPI); a burst of thousands queues instead of running out of sockets. */
  readonly maxConcurrentSends?: number
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  webhookAttempts: 3,
  busyDelayMs: 300,
  tooFastDelayMs: 2000,
  expiryMarginMs: 10_000,
  maxConcurrentSends: 64,
}

const ERRCODE = { ok: 0, busy: -1, sessionGone: 300001, robotDisabled: 400102 } as const
const TOO_FAST = new Set([410100, 130101])

/**
 * Gets a reply to DingTalk exactly once: paced per conversation, inline when the transport's sink
 * (the HTTP response) is still open, else the session webhook (with retries on busy / too fast),
 * else the robot OpenAPI when the webhook is expired or gone. Failures throw `DeliveryFailedError`
 * with the reason.
 */
export class Delivery implements Deliverer {
  private readonly sends: Semaphore

  constructor(
    private readonly webhook: WebhookSender,
    private readonly robot: RobotReplies,
    private readonly pacer: Pacer,
    private readonly opts: DeliveryOptions = DEFAULT_DELIVERY,
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.sends = new Semaphore(opts.maxConcurrentSends ?? 64)
  }

  async deliver(req: DeliverRequest): Promise<DeliveryPath> {
    const slot = this.pacer.reserve(req.msg.conversation.id)
    if (!slot.ok) {
      throw new DeliveryFailedError(
        'flooded',
        `conversation over the pacing budget for ${Math.ceil(slot.retryInMs / 1000)} s`,
      )
    }
    if (slot.delayMs === 0 && req.sink?.offer(req.reply)) return 'inline'
    const notice = slot.firstDelay ? req.slowDownNotice : undefined
    if (notice) {
      // The budget leaves DingTalk's last slots free for exactly this notice.
      await this.sends
        .run(async () => this.send(req.msg, await notice(), req.log))
        .catch((err: unknown) => req.log.warn({ err }, 'could not send the slow-down notice'))
    }
    if (slot.delayMs > 0) {
      req.log.info({ delayMs: slot.delayMs }, 'conversation over the pacing budget; reply queued')
      await sleep(slot.delayMs)
    }
    return this.sends.run(() => this.send(req.msg, req.reply, req.log))
  }

  private async send(msg: InboundMessage, reply: Reply, log: Logger): Promise<'webhook' | 'openapi'> {
    const expiresAt = msg.replyTarget.sessionWebhookExpiresAt
    if (expiresAt > 0 && this.clock() >= expiresAt - this.opts.expiryMarginMs) {
      log.info('session webhook expired; using the robot OpenAPI')
    } else if (await this.viaWebhook(msg, reply, log)) {
      return 'webhook'
    }
    try {
      await this.robot.send(msg, reply)
      return 'openapi'
    } catch (err) {
      throw new DeliveryFailedError('failed', `robot OpenAPI: ${(err as Error).message}`, { cause: err })
    }
  }

  /** true when delivered; false when the OpenAPI should take over. */
  private async viaWebhook(msg: InboundMessage, reply: Reply, log: Logger): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      let delay: number
      try {
        const answer = await this.webhook.post(msg.replyTarget.sessionWebhook, reply)
        if (answer.errcode === ERRCODE.ok) return true
        if (answer.errcode === ERRCODE.sessionGone) {
          log.info({ errcode: answer.errcode }, 'session webhook gone; using the robot OpenAPI')
          return false
        }
        if (answer.errcode === ERRCODE.robotDisabled) {
          throw new DeliveryFailedError(
            'robot-disabled',
            `webhook errcode ${answer.errcode} ${answer.errmsg}`,
          )
        }
        const tooFast = TOO_FAST.has(answer.errcode)
        if (!tooFast && answer.errcode !== ERRCODE.busy) {
          log.warn(
            { errcode: answer.errcode, errmsg: answer.errmsg },
            'session webhook error; using the robot OpenAPI',
          )
          return false
        }
        delay = backoffDelay(
          attempt - 1,
          tooFast ? this.opts.tooFastDelayMs : this.opts.busyDelayMs,
          10_000,
          this.random,
        )
        log.warn({ errcode: answer.errcode, attempt, delay }, 'session webhook throttled or busy; retrying')
      } catch (err) {
        if (err instanceof WebhookRefusedError) {
          throw new DeliveryFailedError('refused', err.message, { cause: err })
        }
        if (err instanceof DeliveryFailedError) throw err
        delay = backoffDelay(attempt - 1, this.opts.busyDelayMs, 10_000, this.random)
        log.warn({ err: (err as Error).message, attempt }, 'session webhook unreachable')
      }
      if (attempt >= this.opts.webhookAttempts) return false
      await sleep(delay)
    }
  }
}
