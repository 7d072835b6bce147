import { type Flight, LocalFlight } from '../core/flight.js'
import type { Keyspace } from '../store/keyspaces.js'
import { Sealer } from '../store/sealer.js'
import type { Store } from '../store/store.js'
import { DingTalkApiError } from './errors.js'
import type { DingTalkHttp } from './http.js'
import type { SuiteTickets } from './suite-ticket.js'
import type { AccessTokens } from './token.js'

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

interface Cached {
  readonly corpId: string
  readonly token: string
  readonly expiresAt: number
  /** The margin before expiry, at most half the lifetime. */
  readonly refreshAt: number
}

/**
 * An ISV app's access token for each org that authorized it: `POST /v1.0/oauth2/corpAccessToken`
 * with the latest suite ticket. Cached per org until shortly before expiry; concurrent callers for
 * one org share one fetch (across instances with `shared`); a failed fetch is not cached.
 */
export class CorpTokenProvider {
  private readonly cached = new Map<string, Cached>()
  /** Per org, the token DingTalk last rejected: never taken from the shared store again. */
  private readonly rejected = new Map<string, string>()
  private readonly local = new LocalFlight()
  private readonly clock: () => number
  private readonly margin: number
  private readonly seal: Sealer

  constructor(private readonly opts: CorpTokenProviderOptions) {
    this.clock = opts.clock ?? Date.now
    this.margin = opts.refreshMarginMs ?? 5 * 60_000
    this.seal = new Sealer(opts.suiteSecret, opts.suiteKey, 'corp-access-token-cache')
  }

  /** One org's tokens, as an authenticated API client takes them. */
  forOrg(corpId: string): AccessTokens {
    return {
      get: () => this.get(corpId),
      invalidate: (token) => this.invalidate(corpId, token),
      status: () => this.status(corpId),
    }
  }

  status(corpId: string): { valid: boolean; expiresAt: number | undefined } {
    const c = this.cached.get(corpId)
    return { valid: !!c && this.clock() < c.expiresAt, expiresAt: c?.expiresAt }
  }

  /**
   * DingTalk rejected this org's token: the next call fetches a new one (a copy in the shared
   * store is dropped only while it still holds the rejected token).
   */
  invalidate(corpId: string, token: string): void {
    const c = this.cached.get(corpId)
    if (c?.token === token) this.cached.delete(corpId)
    this.rejected.set(corpId, token)
  }

  /** The org removed the app (`org_suite_relieve`): its token is forgotten here and in the store. */
  async forget(corpId: string): Promise<void> {
    this.cached.delete(corpId)
    await this.opts.shared?.store.delete(corpTokenKey(corpId)).catch(() => undefined)
  }

  async get(corpId: string): Promise<string> {
    const c = this.cached.get(corpId)
    if (c && this.clock() < c.refreshAt) return c.token
    return this.local.run(corpId, () => this.obtain(corpId))
  }

  private async obtain(corpId: string): Promise<string> {
    const shared = this.opts.shared
    if (!shared) return this.fetch(corpId)
    return (
      (await this.fromStore(corpId)) ??
      shared.flight.run(
        corpTokenKey(corpId),
        async () => (await this.fromStore(corpId)) ?? this.fetch(corpId),
      )
    )
  }

  /** A fresh token of this org that another instance (or we) put in the shared store, if any. */
  private async fromStore(corpId: string): Promise<string | undefined> {
    const sealed = await this.opts.shared?.store.get(corpTokenKey(corpId)).catch(() => undefined)
    const c = sealed ? parseCached(this.seal.open(sealed)) : undefined
    // The org is sealed in too: a value copied under another org's key is not that org's token.
    if (
      !c ||
      c.corpId !== corpId ||
      typeof c.token !== 'string' ||
      this.clock() >= c.refreshAt ||
      c.token === this.rejected.get(corpId)
    ) {
      return undefined
    }
    this.cached.set(corpId, c)
    return c.token
  }

  private async fetch(corpId: string): Promise<string> {
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
    if (typeof res.accessToken !== 'string' || !res.accessToken)
      throw new Error('corp token response has no accessToken')
    const ttl = (typeof res.expireIn === 'number' && res.expireIn > 0 ? res.expireIn : 7200) * 1000
    const now = this.clock()
    const c: Cached = {
      corpId,
      token: res.accessToken,
      expiresAt: now + ttl,
      refreshAt: now + ttl - Math.min(this.margin, ttl / 2),
    }
    this.cached.set(corpId, c)
    // Lives exactly as long as the token; a failed write only costs other instances a fetch.
    await this.opts.shared?.store
      .set(corpTokenKey(corpId), this.seal.seal(JSON.stringify(c)), ttl)
      .catch(() => undefined)
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
