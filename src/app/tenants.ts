import { OrgNotAuthorizedError } from '../dingtalk/corp-token.js'
import { type AuthorizedOrgs, CORP_ID, OrgNotServedError } from '../dingtalk/orgs.js'
import type { Background } from '../features/index.js'
import type { Logger } from '../logger.js'

/** What one org of a third-party app runs on: built once per org, on first use. */
export interface Tenant {
  readonly corpId: string
  /** The org's watch poller, live-card updater...: started with the app, or at once when later. */
  readonly background: readonly Background[]
}

export interface TenantsOptions<T extends Tenant> {
  readonly orgs: AuthorizedOrgs
  /** Asks DingTalk for the org's token: how an org that authorized before we ran is recognised. */
  readonly probe: (corpId: string) => Promise<unknown>
  readonly make: (corpId: string) => T
  readonly log: Logger
  readonly clock: () => number
}

/** After DingTalk said an org has not authorized the app, ask again no sooner than this. */
export const NOT_AUTHORIZED_MS = 10 * 60_000

/**
 * The orgs a third-party app serves, each with its own features and state (`Tenant`). An org is
 * served when it authorized the app (`org_suite_auth`, or DingTalk gave us a token for it) and
 * has not removed it since (`org_suite_relieve`). Nothing of an org is built, and nothing is
 * fetched for it, once it removed the app.
 */
export class Tenants<T extends Tenant> {
  private readonly built = new Map<string, T>()
  private readonly making = new Map<string, Promise<T>>()
  /** Orgs DingTalk refused a token for, until when we believe it. */
  private readonly refused = new Map<string, number>()
  private started = false

  constructor(private readonly opts: TenantsOptions<T>) {}

  /** The org's tenant; throws `OrgNotServedError`, or `NoSuiteTicketError` before the first ticket. */
  get(corpId: string): Promise<T> {
    const known = this.built.get(corpId)
    if (known) return this.stillServed(known)
    let making = this.making.get(corpId)
    if (!making) {
      making = this.admit(corpId).finally(() => this.making.delete(corpId))
      this.making.set(corpId, making)
    }
    return making
  }

  /** The org's tenant if it is built already (no lookup, no fetch). */
  peek(corpId: string): T | undefined {
    return this.built.get(corpId)
  }

  /** The tenants built so far (their orgs' data only reaches their own admins). */
  list(): readonly T[] {
    return [...this.built.values()]
  }

  private async stillServed(t: T): Promise<T> {
    const record = await this.opts.orgs.get(t.corpId)
    if (record?.state === 'relieved') {
      await this.drop(t.corpId)
      throw new OrgNotServedError(t.corpId, 'relieved')
    }
    return t
  }

  private async admit(corpId: string): Promise<T> {
    if (!CORP_ID.test(corpId)) throw new OrgNotServedError(corpId, corpId ? 'not-authorized' : 'no-org')
    const record = await this.opts.orgs.get(corpId)
    if (record?.state === 'relieved') throw new OrgNotServedError(corpId, 'relieved')
    if (!record) await this.recognise(corpId)
    return this.build(corpId)
  }

  /** An org we have no record of: it is ours if DingTalk gives us its token. */
  private async recognise(corpId: string): Promise<void> {
    const until = this.refused.get(corpId)
    if (until !== undefined && this.opts.clock() < until)
      throw new OrgNotServedError(corpId, 'not-authorized')
    try {
      await this.opts.probe(corpId)
    } catch (err) {
      if (err instanceof OrgNotAuthorizedError) {
        this.refused.set(corpId, this.opts.clock() + NOT_AUTHORIZED_MS)
        throw new OrgNotServedError(corpId, 'not-authorized')
      }
      throw err
    }
    await this.opts.orgs.set({ corpId, state: 'authorized', at: this.opts.clock(), via: 'token' })
    this.opts.log.info({ corpId }, 'org recognised: DingTalk gave us its token')
  }

  private build(corpId: string): T {
    const existing = this.built.get(corpId)
    if (existing) return existing
    const t = this.opts.make(corpId)
    this.built.set(corpId, t)
    this.refused.delete(corpId)
    if (this.started) for (const b of t.background) b.start()
    return t
  }

  /** `org_suite_auth`: the org is ours (again). */
  async authorize(corpId: string, at: number): Promise<boolean> {
    const recorded = await this.opts.orgs.set({ corpId, state: 'authorized', at, via: 'event' })
    this.refused.delete(corpId)
    return recorded
  }

  /** `org_suite_relieve`: its background work stops, nothing more is done or fetched for it. */
  async relieve(corpId: string, at: number): Promise<boolean> {
    const recorded = await this.opts.orgs.set({ corpId, state: 'relieved', at, via: 'event' })
    if (recorded) await this.drop(corpId)
    return recorded
  }

  private async drop(corpId: string): Promise<void> {
    const t = this.built.get(corpId)
    this.built.delete(corpId)
    if (t) await Promise.all(t.background.map((b) => b.stop()))
  }

  /**
   * Builds the tenants of every authorized org on record (their watches and live cards carry on
   * after a restart) and starts their background work; later tenants start when built.
   */
  async start(): Promise<void> {
    const records = await this.opts.orgs.list().catch((err: unknown) => {
      this.opts.log.warn({ err }, 'orgs on record could not be read; they resume on their next message')
      return []
    })
    for (const r of records) if (r.state === 'authorized') this.build(r.corpId)
    if (this.started) return
    this.started = true
    for (const t of this.built.values()) for (const b of t.background) b.start()
  }

  async stop(): Promise<void> {
    this.started = false
    await Promise.all([...this.built.values()].flatMap((t) => t.background.map((b) => b.stop())))
  }
}
