import type { Flight } from '../core/flight.js'
import type { Keyspace } from '../store/keyspaces.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'
import type { DingTalkHttp } from './http.js'
import { type AccessTokens, issued, TokenCache } from './token-cache.js'

export type { AccessTokens } from './token-cache.js'

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
 * The app's access token (`POST /v1.0/oauth2/accessToken` with the app's key and secret), kept
 * as every DingTalk token is (`TokenCache`): one fetch for all callers, cached until shortly
 * before it expires, shared by the instances with `shared`.
 */
export class TokenProvider implements AccessTokens {
  private readonly cache: TokenCache

  constructor(opts: TokenProviderOptions) {
    const { http, clientId, clientSecret } = opts
    this.cache = new TokenCache({
      key: TOKEN_KEY,
      subject: clientId,
      // Whoever can read Redis but does not hold the app secret cannot use the token.
      seal: new Sealer(clientSecret, clientId, 'access-token-cache'),
      clock: opts.clock ?? Date.now,
      refreshMarginMs: opts.refreshMarginMs ?? 5 * 60_000,
      shared: opts.shared,
      fetch: async () =>
        issued(
          await http.request<{ accessToken?: unknown; expireIn?: unknown }>({
            api: 'token',
            method: 'POST',
            path: '/v1.0/oauth2/accessToken',
            body: { appKey: clientId, appSecret: clientSecret },
          }),
          'token',
        ),
    })
  }

  get(): Promise<string> {
    return this.cache.get()
  }

  /** DingTalk rejected `token`: forget it (here and in the shared store), unless already replaced. */
  invalidate(token: string): void {
    this.cache.invalidate(token)
  }

  /** For `/status`: whether a usable token is cached and until when. */
  status(): { valid: boolean; expiresAt: number | undefined } {
    return this.cache.status()
  }
}
