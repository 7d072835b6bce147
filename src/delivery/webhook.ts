import type { Reply } from '../core/message.js'
import { type JsonPost, PostFailedError, requestPost } from '../dingtalk/post.js'

/** The answer of `POST sessionWebhook`: `{errcode, errmsg}`. */
export interface WebhookAnswer {
  readonly errcode: number
  readonly errmsg: string
}

export class WebhookRefusedError extends Error {
  constructor(reason: string) {
    super(`session webhook refused: ${reason}`)
    this.name = 'WebhookRefusedError'
  }
}

export class WebhookUnavailableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`session webhook unavailable: ${reason}`, options)
    this.name = 'WebhookUnavailableError'
  }
}

/**
 * Posts replies to a conversation's `sessionWebhook`, and only when its origin is DingTalk's
 * (`DINGTALK_OAPI_BASE`): the URL arrives in the message body, which the callback signature does
 * not cover, so a forged body must not make us post to an arbitrary host. Errors never include the
 * URL (it is a bearer credential).
 */
export class WebhookSender {
  private readonly origin: string
  private readonly send: JsonPost

  constructor(
    oapiBase: string,
    private readonly timeoutMs: number,
    post?: JsonPost,
  ) {
    this.origin = new URL(oapiBase).origin
    this.send = post ?? requestPost()
  }

  /** Throws `WebhookRefusedError` for a URL outside the allowed origin. */
  check(url: string): URL {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new WebhookRefusedError('not a URL')
    }
    if (parsed.origin !== this.origin)
      throw new WebhookRefusedError(`origin ${parsed.origin} is not ${this.origin}`)
    return parsed
  }

  async post(url: string, reply: Reply): Promise<WebhookAnswer> {
    const target = this.check(url)
    let res: { status: number; text: string }
    try {
      res = await this.send(target, JSON.stringify(reply), this.timeoutMs)
    } catch (err) {
      const reason = err instanceof PostFailedError ? err.reason : 'network error'
      throw new WebhookUnavailableError(reason, { cause: err })
    }
    const text = res.text
    let body: Partial<WebhookAnswer> | undefined
    try {
      body = JSON.parse(text) as Partial<WebhookAnswer>
    } catch {
      body = undefined
    }
    if (res.status < 200 || res.status > 299 || typeof body?.errcode !== 'number') {
      throw new WebhookUnavailableError(`HTTP ${res.status}${body ? '' : ' without JSON'}`)
    }
    return { errcode: body.errcode, errmsg: String(body.errmsg ?? '') }
  }
}
