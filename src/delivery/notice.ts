import { setTimeout as sleep } from 'node:timers/promises'
import type { InboundMessage, Reply } from '../core/message.js'
import { backoffDelay } from '../dingtalk/http.js'
import type { Logger } from '../logger.js'
import type { DeliveryOptions } from './delivery.js'
import type { Pacer } from './pacer.js'
import type { RobotChat, RobotSender } from './robot-api.js'
import type { WebhookSender } from './webhook.js'

/** Seals what must not be readable at rest (a session webhook is a bearer URL). */
export interface SecretBox {
  seal(plain: string): string
  /** The plain text, or undefined when it does not open. */
  open(sealed: string): string | undefined
}

/**
 * Where a notice goes, kept (as JSON) by whoever will send it later: the chat, the person of a
 * one-to-one chat, and the chat's session webhook, sealed, with the time DingTalk said it expires.
 */
export interface NoticeAddress extends RobotChat {
  readonly webhook?: { readonly sealed: string; readonly expiresAt: number }
}

export class NoticeFailedError extends Error {
  constructor(
    readonly reason: 'flooded' | 'bad-address' | 'failed',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`notice not delivered (${reason}): ${detail}`, options)
    this.name = 'NoticeFailedError'
  }
}

export interface NoticeSenderParts {
  readonly webhook: WebhookSender
  readonly robot: RobotSender
  /** The same pacer as replies: a chat's notices and answers share DingTalk's per-chat limit. */
  readonly pacer: Pacer
  readonly box: SecretBox
  readonly opts: DeliveryOptions
  readonly clock: () => number
  readonly random?: () => number
}

const BUSY = -1
const TOO_FAST = new Set([410100, 130101])

/**
 * Messages nobody is waiting for an answer to (a meeting started): addressed by conversation, not
 * by an inbound message. The session webhook while it still works (free of the API quota, with
 * retries on busy and too fast), else the robot OpenAPI (`groupMessages/send` for groups,
 * `oToMessages/batchSend` for one-to-one chats), paced per chat like replies. Failures throw
 * `NoticeFailedError` with the reason; the webhook URL never appears in one.
 */
export class NoticeSender {
  constructor(private readonly parts: NoticeSenderParts) {}

  /** Where notices to the chat `msg` came from go; the webhook only when its origin is DingTalk's. */
  address(msg: InboundMessage): NoticeAddress {
    const chat = {
      conversationId: msg.conversation.id,
      type: msg.conversation.type,
      staffId: msg.sender.staffId,
    }
    const { sessionWebhook, sessionWebhookExpiresAt } = msg.replyTarget
    try {
      this.parts.webhook.check(sessionWebhook)
    } catch {
      return chat
    }
    if (sessionWebhookExpiresAt <= this.parts.clock()) return chat
    return {
      ...chat,
      webhook: { sealed: this.parts.box.seal(sessionWebhook), expiresAt: sessionWebhookExpiresAt },
    }
  }

  /** Sends `reply` to `to` (an address as `address` made it, read back from storage). */
  async send(to: unknown, reply: Reply, log: Logger): Promise<'webhook' | 'openapi'> {
    const address = parseAddress(to)
    const slot = this.parts.pacer.reserve(address.conversationId)
    if (!slot.ok) {
      throw new NoticeFailedError(
        'flooded',
        `chat over the pacing budget for ${Math.ceil(slot.retryInMs / 1000)} s`,
      )
    }
    if (slot.delayMs > 0) await sleep(slot.delayMs)
    const url = this.usableWebhook(address)
    if (url && (await this.viaWebhook(url, reply, log))) return 'webhook'
    try {
      await this.parts.robot.sendTo(address, reply)
      return 'openapi'
    } catch (err) {
      throw new NoticeFailedError('failed', `robot OpenAPI: ${(err as Error).message}`, { cause: err })
    }
  }

  private usableWebhook(address: NoticeAddress): string | undefined {
    const hook = address.webhook
    if (!hook || this.parts.clock() >= hook.expiresAt - this.parts.opts.expiryMarginMs) return undefined
    const url = this.parts.box.open(hook.sealed)
    if (!url) return undefined
    try {
      this.parts.webhook.check(url)
      return url
    } catch {
      return undefined
    }
  }

  /** true when delivered; false when the OpenAPI should take over. */
  private async viaWebhook(url: string, reply: Reply, log: Logger): Promise<boolean> {
    const { opts } = this.parts
    const random = this.parts.random ?? Math.random
    for (let attempt = 1; attempt <= opts.webhookAttempts; attempt++) {
      let delay = backoffDelay(attempt - 1, opts.busyDelayMs, 10_000, random)
      try {
        const answer = await this.parts.webhook.post(url, reply)
        if (answer.errcode === 0) return true
        const tooFast = TOO_FAST.has(answer.errcode)
        if (!tooFast && answer.errcode !== BUSY) {
          log.info({ errcode: answer.errcode }, 'notice: session webhook refused; using the robot OpenAPI')
          return false
        }
        if (tooFast) delay = backoffDelay(attempt - 1, opts.tooFastDelayMs, 10_000, random)
        log.warn({ errcode: answer.errcode, attempt }, 'notice: session webhook busy or throttled')
      } catch (err) {
        log.warn({ err: (err as Error).message, attempt }, 'notice: session webhook unreachable')
      }
      if (attempt < opts.webhookAttempts) await sleep(delay)
    }
    return false
  }
}

function parseAddress(to: unknown): NoticeAddress {
  const a = to as Partial<NoticeAddress> | undefined
  if (
    !a ||
    typeof a.conversationId !== 'string' ||
    !a.conversationId ||
    (a.type !== 'group' && a.type !== 'single') ||
    typeof a.staffId !== 'string'
  ) {
    throw new NoticeFailedError('bad-address', 'not a notice address')
  }
  if (a.type === 'single' && !a.staffId)
    throw new NoticeFailedError('bad-address', 'a one-to-one chat without a staff id')
  const hook = a.webhook
  const webhook =
    hook && typeof hook.sealed === 'string' && typeof hook.expiresAt === 'number'
      ? { sealed: hook.sealed, expiresAt: hook.expiresAt }
      : undefined
  return {
    conversationId: a.conversationId,
    type: a.type,
    staffId: a.staffId,
    ...(webhook ? { webhook } : {}),
  }
}
