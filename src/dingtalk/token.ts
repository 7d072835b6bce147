import type { Flight } from '../core/flight.js'
import type { Keyspace } from '../store/keyspaces.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'
import type { DingTalkHttp } from './http.js'

export interface TokenProviderOptions {
  readonly http: DingTalkHttp
  readonly clientId: string
  readonly clientSecret: string
  readonly clock?: () => number
  /** Refresh this long before DingTalk's `expireIn` runs out. */
  readonly refreshMarginMs?: number
  /**
   * Several instances: the token is kept (sealed) in the shared store until it expires, and one
   * instance fetches it for all under the flight's cross-instance lock.
   */
  readonly shared?: { readonly store: Store; readonly flight: Flight }
}

/**
 * What an authenticated API call needs of a token source: the app's own token (`TokenProvider`),
 * or one org's token of a third-party app (`CorpTokenProvider.forOrg`).
 */
export interface AccessTokens {
  get(): Promise<string>
  /** DingTalk rejected this token: fetch another next time. */
  invalidate(token: string): void
  /** For `/status`: whether a token is held now, and until when. */
  status(): { valid: boolean; expiresAt: number | undefined }
}

interface Cached {
  readonly token: string
  readonly expiresAt: number
  /** When to fetch a new one: the margin before expiry, at most half the lifetime. */
  readonly refreshAt: number
}

/** The store key of the shared token (namespaced by app like every key). Its value is sealed. */
export const TOKEN_KEY = 'token:access'
/** Only shared stores hold the token (sealed); a new one is cheap to fetch. */
export const tokenKeyspace: Keyspace = {
  prefix: 'token:',
  owner: 'dingtalk/token',
  persistence: 'volatile',
  outage: 'drop',
}

/**
 * The app's access token: fetched once, cached until shortly before it expires, shared by every
 * caller. Concurrent callers wait for the same fetch; a failed fetch is not cached, so the next
 * caller tries again. With `shared`, every instance reads the token from the store first.
 */
export class TokenProvider implements AccessTokens {
  private cached: (Cached & { readonly sealed?: string }) | undefined
  private inFlight: Promise<string> | undefined
  /** The token DingTalk last rejected: never taken from the shared store again. */
  private rejected: string | undefined
  private readonly clock: () => number
  private readonly margin: number
  private readonly seal: Sealer

  constructor(private readonly opts: TokenProviderOptions) {
    this.clock = opts.clock ?? Date.now
    this.margin = opts.refreshMarginMs ?? 5 * 60_000
    // Whoever can read Redis but does not hold the app secret cannot use the token.
    this.seal = new Sealer(opts.clientSecret, opts.clientId, 'access-token-cache')
  }

  async get(): Promise<string> {
    const c = this.cached
    if (c && this.clock() < c.refreshAt) return c.token
    this.inFlight ??= this.obtain().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  /** DingTalk rejected `token`: forget it (here and in the shared store), unless already replaced. */
  invalidate(token: string): void {
    this.rejected = token
    const c = this.cached
    if (c?.token !== token) return
    this.cached = undefined
    if (c.sealed) void this.opts.shared?.store.compareAndDelete(TOKEN_KEY, c.sealed).catch(() => false)
  }

  /** For `/status`: whether a usable token is cached and until when. */
  status(): { valid: boolean; expiresAt: number | undefined } {
    const c = this.cached
    return { valid: !!c && this.clock() < c.expiresAt, expiresAt: c?.expiresAt }
  }

  private async obtain(): Promise<string> {
    const shared = this.opts.shared
    if (!shared) return this.fetch()
    return (
      (await this.fromStore()) ??
      shared.flight.run(TOKEN_KEY, async () => (await this.fromStore()) ?? this.fetch())
    )
  }

  /** A fresh token another instance (or we) put in the shared store, if any. */
  private async fromStore(): Promise<string | undefined> {
    const sealed = await this.opts.shared?.store.get(TOKEN_KEY).catch(() => undefined)
    const c = sealed ? parseCached(this.seal.open(sealed)) : undefined
    if (!c || typeof c.token !== 'string' || c.token === this.rejected || this.clock() >= c.refreshAt) {
      return undefined
    }
    this.cached = { ...c, sealed }
    return c.token
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
    const c: Cached = {
      token: res.accessToken,
      expiresAt: now + ttl,
      refreshAt: now + ttl - Math.min(this.margin, ttl / 2),
    }
    this.cached = c
    const store = this.opts.shared?.store
    if (store) {
      const sealed = this.seal.seal(JSON.stringify(c))
      this.cached = { ...c, sealed }
      // Lives exactly as long as the token; a failed write only costs other instances a fetch.
      await store.set(TOKEN_KEY, sealed, ttl).catch(() => undefined)
    }
    return res.accessToken
  }
}

function parseCached(plain: string | undefined): Cached | undefined {
  if (plain === undefined) return undefined
  try {
    return JSON.parse(plain) as Cached
  } catch {
    return undefined
  }
}
