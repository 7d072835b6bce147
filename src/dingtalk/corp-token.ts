import type { Flight } from '../core/flight.js'
import type { Keyspace } from '../store/keyspaces.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'
import { DingTalkApiError } from './errors.js'
import type { DingTalkHttp } from './http.js'
import type { SuiteTickets } from './suite-ticket.js'
import { type AccessTokens, type IssuedToken, issued, TokenCache } from './token-cache.js'

/** The store key of one org's shared token. Its value is sealed. */
export const corpTokenKey = (corpId: string): string => `corp-token:${corpId}`
/** Only shared stores hold org tokens (sealed); a new one is cheap to fetch. */
export const corpTokenKeyspace: Keyspace = {
  prefix: 'corp-token:',
  owner: 'dingtalk/corp-token',
  persistence: 'volatile',
  outage: 'drop',
}

/** No suite ticket has arrived yet: no org can get a token until DingTalk pushes one. */
export class NoSuiteTicketError extends Error {
  constructor() {
    super('no suite ticket yet: DingTalk has not pushed one')
    this.name = 'NoSuiteTicketError'
  }
}

/** DingTalk refused our suite ticket (`invalidSuiteTicket`): stale, or not this suite's. */
export class InvalidSuiteTicketError extends Error {
  constructor(options: { cause: unknown }) {
    super('DingTalk refused the suite ticket', options)
    this.name = 'InvalidSuiteTicketError'
  }
}

/** `invalidAuthInfo`: the org has not authorized (installed) the app, or no longer does. */
export class OrgNotAuthorizedError extends Error {
  constructor(
    readonly corpId: string,
    options: { cause: unknown },
  ) {
    super(`org ${corpId} has not authorized the app`, options)
    this.name = 'OrgNotAuthorizedError'
  }
}

export interface CorpTokenProviderOptions {
  readonly http: DingTalkHttp
  readonly suiteKey: string
  readonly suiteSecret: string
  readonly tickets: SuiteTickets
  readonly clock?: () => number
  /** Refresh this long before DingTalk's `expireIn` runs out (as the internal app's token). */
  readonly refreshMarginMs?: number
  /** Several instances: each org's token is kept (sealed) in the shared store; one fetches for all. */
  readonly shared?: { readonly store: Store; readonly flight: Flight }
}

/**
 * An ISV app's access token for each org that authorized it: `POST /v1.0/oauth2/corpAccessToken`
 * with the latest suite ticket, each org's kept as every DingTalk token is (`TokenCache`): one
 * fetch per org for all callers (across instances with `shared`), cached until shortly before it
 * expires, sealed with the org's id in it (a value copied under another org's key is refused).
 */
export class CorpTokenProvider {
  private readonly orgs = new Map<string, TokenCache>()
  private readonly clock: () => number
  private readonly seal: Sealer

  constructor(private readonly opts: CorpTokenProviderOptions) {
    this.clock = opts.clock ?? Date.now
    this.seal = new Sealer(opts.suiteSecret, opts.suiteKey, 'corp-access-token-cache')
  }

  /** One org's tokens, as an authenticated API client takes them. */
  forOrg(corpId: string): AccessTokens {
    return this.org(corpId)
  }

  get(corpId: string): Promise<string> {
    return this.org(corpId).get()
  }

  status(corpId: string): { valid: boolean; expiresAt: number | undefined } {
    return this.orgs.get(corpId)?.status() ?? { valid: false, expiresAt: undefined }
  }

  /**
   * DingTalk rejected this org's token: the next call fetches a new one (a copy in the shared
   * store is dropped only while it still holds the rejected token).
   */
  invalidate(corpId: string, token: string): void {
    this.org(corpId).invalidate(token)
  }

  /** The org removed the app (`org_suite_relieve`): its token is forgotten here and in the store. */
  async forget(corpId: string): Promise<void> {
    const cache = this.orgs.get(corpId) ?? this.cacheFor(corpId)
    this.orgs.delete(corpId)
    await cache.forget()
  }

  private org(corpId: string): TokenCache {
    let cache = this.orgs.get(corpId)
    if (!cache) {
      cache = this.cacheFor(corpId)
      this.orgs.set(corpId, cache)
    }
    return cache
  }

  private cacheFor(corpId: string): TokenCache {
    return new TokenCache({
      key: corpTokenKey(corpId),
      subject: corpId,
      seal: this.seal,
      clock: this.clock,
      refreshMarginMs: this.opts.refreshMarginMs ?? 5 * 60_000,
      shared: this.opts.shared,
      fetch: () => this.fetch(corpId),
    })
  }

  private async fetch(corpId: string): Promise<IssuedToken> {
    const ticket = await this.opts.tickets.latest()
    if (!ticket) throw new NoSuiteTicketError()
    const res = await this.opts.http
      .request<{ accessToken?: unknown; expireIn?: unknown }>({
        api: 'corp.token',
        method: 'POST',
        path: '/v1.0/oauth2/corpAccessToken',
        body: {
          suiteKey: this.opts.suiteKey,
          suiteSecret: this.opts.suiteSecret,
          authCorpId: corpId,
          suiteTicket: ticket.ticket,
        },
      })
      .catch((err: unknown) => {
        if (err instanceof DingTalkApiError && err.code === 'invalidSuiteTicket')
          throw new InvalidSuiteTicketError({ cause: err })
        if (err instanceof DingTalkApiError && err.code === 'invalidAuthInfo')
          throw new OrgNotAuthorizedError(corpId, { cause: err })
        throw err
      })
    return issued(res, 'corp token')
  }
}
