import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'

/** The orgs a third-party (ISV) app serves: one key per org, `isv-org:<corpId>`. */
export const orgKeyspace: Keyspace = {
  prefix: 'isv-org:',
  owner: 'dingtalk/orgs',
  // An org that removed the app must stay removed after a crash: confirmed, and kept through an outage.
  persistence: 'confirmed',
  outage: 'mirror',
}

/** DingTalk's corp ids: `ding` and letters and digits; we take any short id of safe characters. */
export const CORP_ID = /^[A-Za-z0-9_.-]{1,128}$/

export type OrgState = 'authorized' | 'relieved'

export interface OrgRecord {
  readonly corpId: string
  readonly state: OrgState
  /** When it changed (the event's time, or when a token was first had for it). */
  readonly at: number
  /** How we learnt it: DingTalk's event, or a token DingTalk gave us for the org. */
  readonly via: 'event' | 'token'
}

/** Why a message, event or click of an org is not served: the org is not (or no longer) ours. */
export class OrgNotServedError extends Error {
  constructor(
    readonly corpId: string,
    readonly reason: 'relieved' | 'not-authorized' | 'no-org',
  ) {
    super(
      reason === 'no-org'
        ? 'the message names no org (chatbotCorpId)'
        : `org ${corpId} ${reason === 'relieved' ? 'removed the app' : 'has not authorized the app'}`,
    )
    this.name = 'OrgNotServedError'
  }
}

/** How long a replica trusts what it read of an org (another replica may have seen a relieve). */
const FRESH_MS = 30_000

/**
 * Which orgs have authorized the app (`org_suite_auth`) and which removed it
 * (`org_suite_relieve`), kept durably and shared by replicas. A later change wins over an earlier
 * one, so a re-pushed old event never undoes a newer one.
 */
export class AuthorizedOrgs {
  private readonly read = new Map<string, { record: OrgRecord | undefined; until: number }>()

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  private key(corpId: string): string {
    return `${orgKeyspace.prefix}${corpId}`
  }

  async get(corpId: string): Promise<OrgRecord | undefined> {
    const known = this.read.get(corpId)
    if (known && this.clock() < known.until) return known.record
    const record = parse(await this.store.get(this.key(corpId)))
    this.read.set(corpId, { record, until: this.clock() + FRESH_MS })
    return record
  }

  /**
   * Records a change unless a later one is stored; resolves whether it was recorded. Resolves once
   * committed (the keyspace is `confirmed`): what the bot does after it survives a crash.
   */
  async set(change: OrgRecord): Promise<boolean> {
    if (!CORP_ID.test(change.corpId)) throw new Error('not a corp id')
    const key = this.key(change.corpId)
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await this.store.get(key)
      const stored = parse(raw)
      if (stored && stored.at > change.at) return false
      const value = JSON.stringify(change)
      const ok =
        raw === undefined
          ? await this.store.setIfAbsent(key, value, 10 * 365 * 86_400_000)
          : await this.store.compareAndSet(key, raw, value)
      if (ok) {
        this.read.set(change.corpId, { record: change, until: this.clock() + FRESH_MS })
        return true
      }
    }
    throw new Error('org record kept changing under us')
  }

  /** Every org on record (start-up: whose watches and cards to resume). */
  async list(): Promise<OrgRecord[]> {
    const entries = await this.store.entries(orgKeyspace.prefix)
    return entries.flatMap(([, v]) => {
      const r = parse(v)
      return r ? [r] : []
    })
  }
}

function parse(raw: string | undefined): OrgRecord | undefined {
  if (raw === undefined) return undefined
  try {
    const r = JSON.parse(raw) as OrgRecord
    return typeof r.corpId === 'string' && (r.state === 'authorized' || r.state === 'relieved')
      ? r
      : undefined
  } catch {
    return undefined
  }
}
