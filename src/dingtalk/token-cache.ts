import type { Flight } from '../core/flight.js'
import type { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'

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

/** A token as DingTalk hands it out. */
export interface IssuedToken {
  readonly token: string
  /** `expireIn`, in seconds (`issued` puts DingTalk's 2 h where a response has none). */
  readonly expireInSeconds: number
}

export interface TokenCacheOptions {
  /** Gets a new token from DingTalk (the app's, an org's). */
  readonly fetch: () => Promise<IssuedToken>
  /** The store key of the shared copy; its value is sealed. */
  readonly key: string
  /**
   * Whose token it is, sealed in with it: a sealed value copied under another key (another org's)
   * does not open as this one's.
   */
  readonly subject: string
  readonly seal: Sealer
  readonly clock: () => number
  /** Refresh this long before `expireIn` runs out (at most half the lifetime). */
  readonly refreshMarginMs: number
  /** Several instances: the token is kept in the shared store; one instance fetches for all. */
  readonly shared?: { readonly store: Store; readonly flight: Flight } | undefined
}

interface Cached {
  readonly subject: string
  readonly token: string
  readonly expiresAt: number
  /** When to fetch a new one: the margin before expiry, at most half the lifetime. */
  readonly refreshAt: number
}

/**
 * One access token: fetched once, cached until shortly before it expires, shared by every caller.
 * Concurrent callers wait for the same fetch; a failed fetch is not cached, so the next caller
 * tries again. With `shared`, every instance reads the token from the store first, and one
 * fetches it for all under the flight's cross-instance lock. A token DingTalk rejected is never
 * taken from the store again.
 */
export class TokenCache implements AccessTokens {
  private cached: (Cached & { readonly sealed?: string }) | undefined
  private inFlight: Promise<string> | undefined
  private rejected: string | undefined

  constructor(private readonly opts: TokenCacheOptions) {}

  get(): Promise<string> {
    const c = this.cached
    if (c && this.opts.clock() < c.refreshAt) return Promise.resolve(c.token)
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
    if (c.sealed) void this.opts.shared?.store.compareAndDelete(this.opts.key, c.sealed).catch(() => false)
  }

  status(): { valid: boolean; expiresAt: number | undefined } {
    const c = this.cached
    return { valid: !!c && this.opts.clock() < c.expiresAt, expiresAt: c?.expiresAt }
  }

  /** The token is no longer ours to use (the org removed the app): gone here and in the store. */
  async forget(): Promise<void> {
    this.cached = undefined
    await this.opts.shared?.store.delete(this.opts.key).catch(() => undefined)
  }

  private async obtain(): Promise<string> {
    const shared = this.opts.shared
    if (!shared) return this.fetch()
    return (
      (await this.fromStore()) ??
      shared.flight.run(this.opts.key, async () => (await this.fromStore()) ?? this.fetch())
    )
  }

  /** A fresh token another instance (or we) put in the shared store, if any. */
  private async fromStore(): Promise<string | undefined> {
    const sealed = await this.opts.shared?.store.get(this.opts.key).catch(() => undefined)
    const c = sealed ? parseCached(this.opts.seal.open(sealed)) : undefined
    if (
      !c ||
      c.subject !== this.opts.subject ||
      typeof c.token !== 'string' ||
      c.token === this.rejected ||
      this.opts.clock() >= c.refreshAt
    ) {
      return undefined
    }
    this.cached = { ...c, sealed }
    return c.token
  }

  private async fetch(): Promise<string> {
    const issued = await this.opts.fetch()
    const ttl = issued.expireInSeconds * 1000
    const now = this.opts.clock()
    const c: Cached = {
      subject: this.opts.subject,
      token: issued.token,
      expiresAt: now + ttl,
      refreshAt: now + ttl - Math.min(this.opts.refreshMarginMs, ttl / 2),
    }
    this.cached = c
    const store = this.opts.shared?.store
    if (store) {
      const sealed = this.opts.seal.seal(JSON.stringify(c))
      this.cached = { ...c, sealed }
      // Lives exactly as long as the token; a failed write only costs other instances a fetch.
      await store.set(this.opts.key, sealed, ttl).catch(() => undefined)
    }
    return issued.token
  }
}

/** The token of a token response, or an error naming what is missing; `expireIn` defaults to 2 h. */
export function issued(res: { accessToken?: unknown; expireIn?: unknown }, what: string): IssuedToken {
  if (typeof res.accessToken !== 'string' || !res.accessToken) {
    throw new Error(`${what} response has no accessToken`)
  }
  const expireIn = typeof res.expireIn === 'number' && res.expireIn > 0 ? res.expireIn : 7200
  return { token: res.accessToken, expireInSeconds: expireIn }
}

function parseCached(plain: string | undefined): Cached | undefined {
  if (plain === undefined) return undefined
  try {
    return JSON.parse(plain) as Cached
  } catch {
    return undefined
  }
}
