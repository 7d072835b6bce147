import type { Logger } from '../logger.js'
import { DingTalkApiError } from './errors.js'
import { type ApiRequest, type DingTalkHttp, type RetryOptions, withRetry } from './http.js'
import type { AccessTokens } from './token.js'

/** After DingTalk says the monthly quota is used up, stop asking for this long. */
export const QUOTA_COOLDOWN_MS = 15 * 60_000

/**
 * Authenticated OpenAPI calls: adds the access token, retries once with a fresh token when
 * DingTalk says the token is invalid, and applies the retry policy to transient failures. Once
 * the org's monthly quota is exhausted, calls fail at once for a cooldown instead of spending
 * requests on refusals.
 */
export class DingTalkApi {
  private quotaExhausted: { until: number; error: DingTalkApiError } | undefined

  constructor(
    private readonly http: DingTalkHttp,
    readonly tokens: AccessTokens,
    private readonly retry: RetryOptions,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async call<T>(req: Omit<ApiRequest, 'accessToken'>): Promise<T> {
    const blocked = this.quotaExhausted
    if (blocked && this.clock() < blocked.until) throw blocked.error
    try {
      return await withRetry(() => this.once<T>(req), this.retry, this.log)
    } catch (err) {
      if (err instanceof DingTalkApiError && err.kind === 'quotaExhausted') {
        this.quotaExhausted = { until: this.clock() + QUOTA_COOLDOWN_MS, error: err }
        this.log.error(
          { api: req.api, cooldownMs: QUOTA_COOLDOWN_MS },
          'monthly API quota exhausted; not calling DingTalk for a while',
        )
      }
      throw err
    }
  }

  private async once<T>(req: Omit<ApiRequest, 'accessToken'>): Promise<T> {
    const token = await this.tokens.get()
    try {
      return await this.http.request<T>({ ...req, accessToken: token })
    } catch (err) {
      if (!(err instanceof DingTalkApiError && err.kind === 'invalidToken')) throw err
      this.log.warn({ api: req.api, requestId: err.requestId }, 'access token rejected; fetching a new one')
      this.tokens.invalidate(token)
      return this.http.request<T>({ ...req, accessToken: await this.tokens.get() })
    }
  }
}
