import type { Logger } from '../logger.js'
import { DingTalkApiError } from './errors.js'
import { type ApiRequest, type DingTalkHttp, type RetryOptions, withRetry } from './http.js'
import type { TokenProvider } from './token.js'

/**
 * Authenticated OpenAPI calls: adds the access token, retries once with a fresh token when
 * DingTalk says the token is invalid, and applies the retry policy to transient failures.
 */
export class DingTalkApi {
  constructor(
    private readonly http: DingTalkHttp,
    readonly tokens: TokenProvider,
    private readonly retry: RetryOptions,
    private readonly log: Logger,
  ) {}

  call<T>(req: Omit<ApiRequest, 'accessToken'>): Promise<T> {
    return withRetry(() => this.once<T>(req), this.retry, this.log)
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
