import type { DingTalkHttp } from './http.js'

export interface TokenProviderOptions {
  readonly http: DingTalkHttp
  readonly clientId: string
  readonly clientSecret: string
  readonly clock?: () => number
  /** Refresh this long before DingTalk's `expireIn` runs out. */
  readonly refreshMarginMs?: number
}

interface Cached {
  readonly token: string
  readonly expiresAt: number
  /** When to fetch a new one: the margin before expiry, at most half the lifetime. */
  readonly refreshAt: number
}

/**
 * The app's access token: fetched once, cached until shortly before it expires, shared by every
 * caller. Concurrent callers wait for the same fetch; a failed fetch is not cached, so the next
 * caller tries again.
 */
export class TokenProvider {
  private cached: Cached | undefined
  private inFlight: Promise<string> | undefined
  private readonly clock: () => number
  private readonly margin: number

  constructor(private readonly opts: TokenProviderOptions) {
    this.clock = opts.clock ?? Date.now
    this.margin = opts.refreshMarginMs ?? 5 * 60_000
  }

  async get(): Promise<string> {
    const c = this.cached
    if (c && this.clock() < c.refreshAt) return c.token
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  /** DingTalk rejected `token`: forget it, unless a newer one has already replaced it. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined
  }

  /** For `/status`: whether a usable token is cached and until when. */
  status(): { valid: boolean; expiresAt: number | undefined } {
    const c = this.cached
    return { valid: !!c && this.clock() < c.expiresAt, expiresAt: c?.expiresAt }
  }

  private async fetch(): Promise<string> {
    const res = await this.opts.http.request<{ accessToken?: unknown; expireIn?: unknown }>({
      api: 'token',
      method: 'POST',
      path: '/v1.0/oauth2/accessToken',
      body: { appKey: this.opts.clientId, appSecret: this.opts.clientSecret },
    })
    if (typeof res.accessToken !== 'string' || !res.accessToken)
      throw new Error('token response has no accessToken')
    const ttlSeconds = typeof res.expireIn === 'number' && res.expireIn > 0 ? res.expireIn : 7200
    const ttl = ttlSeconds * 1000
    const now = this.clock()
    this.cached = {
      token: res.accessToken,
      expiresAt: now + ttl,
      refreshAt: now + ttl - Math.min(this.margin, ttl / 2),
    }
    return res.accessToken
  }
}
