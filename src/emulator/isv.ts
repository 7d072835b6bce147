import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import {
  type EventPush,
  type PushCredentials,
  type PushResult,
  suiteTicketEntry,
  syncPushBody,
} from './event-push.js'
import type { MeetingEvents } from './events.js'
import type { StreamGateway } from './gateway.js'
import type { EmulatorMeeting } from './meetings.js'
import { asOrgMessage } from './messages.js'
import {
  type EmulatorOrg,
  ORG_SUITE_AUTH,
  ORG_SUITE_RELIEVE,
  OrgTimelines,
  orgLifecycleEvent,
  orgList,
  SUITE_CORP_ID,
  suiteTicketEvent,
} from './orgs.js'
import { type EmulatorClock, type Timeline, TimelineError } from './timeline.js'

export type { EmulatorOrg } from './orgs.js'

/** An org that has authorized (installed) the emulated ISV app. */
export interface EmulatorCorp {
  readonly name?: string
}

export interface EmulatorIsvOptions {
  readonly suiteKey: string
  readonly suiteSecret: string
  /** The suite ticket DingTalk currently accepts (none until set; in ISV mode a random one). */
  readonly ticket?: string
  /** DingTalk hands out org tokens for 7200 s; they stop working after it (real time). */
  readonly tokenTtlSeconds?: number
  /**
   * ISV mode: these orgs installed the app. Their tokens (and only theirs) are what the conference,
   * robot and card APIs accept, each answering from its own org's data.
   */
  readonly orgs?: readonly EmulatorOrg[]
  /** Push the suite ticket to every stream connection as it opens (default true; ISV mode). */
  readonly pushTicketOnConnect?: boolean
  /** The suite's robot code, every org's unless the org names its own (default the suite key). */
  readonly robotCode?: string
  /** `eventCorpId` of `suite_ticket` (default `dingsuiteEmulator`). */
  readonly suiteCorpId?: string
}

/** What the ISV side pushes with and counts by (the emulator's own parts). */
export interface IsvPorts {
  readonly events: MeetingEvents
  readonly stream: StreamGateway
  readonly eventPush: EventPush
  readonly clock: EmulatorClock
}

/** Whose data a token opens: the org's meetings and robot code (ISV), or the one org's (internal). */
export interface ApiAccess {
  readonly corpId?: string
  readonly meetings: EmulatorMeeting[]
  readonly robotCode: string
}

/** An org as `/_emulator/info` lists it (ISV mode). */
export interface IsvOrgInfo {
  readonly corpId: string
  readonly name: string
  readonly robotCode: string
  readonly admins: readonly string[]
  readonly authorized: boolean
}

/** One push of the suite ticket: the event id and the messageId per connection it went to. */
export interface TicketPush {
  readonly ticket: string
  readonly eventId: string
  readonly messageIds: string[]
}

/**
 * DingTalk's side of a third-party (ISV) app: the suite key and secret, the current suite ticket
 * (`ticket`, settable; `rotateTicket` also pushes it) and the orgs that authorized the app
 * (`corps`). With `orgs` (ISV mode) each org has its data (`orgs`), its tokens are accepted for its
 * data only, calls are counted per org (`callsOf`), and tickets and org events go out over Stream.
 */
export class EmulatorIsv {
  suiteKey: string
  suiteSecret: string
  ticket: string | undefined
  /** ISV mode: the emulator was given orgs. */
  readonly enabled: boolean
  pushTicketOnConnect: boolean
  readonly robotCode: string
  readonly suiteCorpId: string
  readonly corps = new Map<string, EmulatorCorp>()
  /** Every org the emulator knows, authorized or relieved (their data stays, as DingTalk's does). */
  readonly orgs = new Map<string, EmulatorOrg>()
  /** Every known org's meetings in one list (the emulator's `meetings` in ISV mode). */
  readonly meetings: EmulatorMeeting[] = []
  /** `corpAccessToken` calls per `authCorpId`, whatever their outcome. */
  readonly calls = new Map<string, number>()
  /** Every org token issued, by org: tests check none of them reaches a log. */
  readonly issued = new Map<string, string[]>()
  /** The suite ticket each call carried, in order (for rotation tests). */
  readonly ticketsSeen: string[] = []
  readonly tokenTtlSeconds: number
  /** Per-org timelines; `timelines.routing` is the emulator's `timeline` in ISV mode. */
  readonly timelines: OrgTimelines
  private readonly tokens = new Map<string, { corpId: string; expiresAt: number }>()
  /** The org of every token ever issued (revoked ones too): calls are counted by it. */
  private readonly tokenCorp = new Map<string, string>()
  private readonly apiCalls = new Map<string, Map<string, number>>()

  constructor(
    opts: EmulatorIsvOptions,
    private readonly ports: IsvPorts,
  ) {
    this.suiteKey = opts.suiteKey
    this.suiteSecret = opts.suiteSecret
    this.enabled = opts.orgs !== undefined
    this.ticket = opts.ticket ?? (this.enabled ? `TICKET${randomBytes(12).toString('hex')}` : undefined)
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 7200
    this.pushTicketOnConnect = opts.pushTicketOnConnect ?? true
    this.robotCode = opts.robotCode ?? opts.suiteKey
    this.suiteCorpId = opts.suiteCorpId ?? SUITE_CORP_ID
    this.timelines = new OrgTimelines(() => this.orgs, ports.clock, ports.events)
    for (const org of opts.orgs ?? []) this.addOrg(org)
    if (this.enabled)
      ports.stream.onConnection((connection) => {
        if (this.pushTicketOnConnect && this.ticket !== undefined) this.pushTicket({ connection })
      })
  }

  count(corpId: string): number {
    return this.calls.get(corpId) ?? 0
  }

  /** Calls of one API made with this org's tokens (`corp.token`: its corpAccessToken calls). */
  callsOf(corpId: string, api: string): number {
    if (api === 'corp.token') return this.count(corpId)
    return this.apiCalls.get(corpId)?.get(api) ?? 0
  }

  /** Every org's calls by API (`corp.token` included), for a test's or benchmark's report. */
  callsByOrg(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [corp, n] of this.calls) out[corp] = { 'corp.token': n }
    for (const [corp, apis] of this.apiCalls) out[corp] = { ...out[corp], ...Object.fromEntries(apis) }
    return out
  }

  resetCounters(): void {
    this.calls.clear()
    this.apiCalls.clear()
  }

  /** The org a meeting belongs to (the `eventCorpId` of its events), if any. */
  corpOf(m: EmulatorMeeting): string | undefined {
    for (const [corpId, org] of this.orgs) if (org.meetings.includes(m)) return corpId
    return undefined
  }

  robotCodeOf(corpId: string): string {
    return this.orgs.get(corpId)?.robotCode ?? this.robotCode
  }

  /** The timeline of one org's meetings (a TimelineError listing the orgs for an unknown one). */
  timeline(corpId: string): Timeline {
    this.needOrgs()
    return this.timelines.of(corpId)
  }

  /** A fresh org token (corpAccessToken answered). */
  issue(corpId: string): string {
    const accessToken = randomBytes(16).toString('hex')
    this.issued.set(corpId, [...(this.issued.get(corpId) ?? []), accessToken])
    this.tokens.set(accessToken, { corpId, expiresAt: Date.now() + this.tokenTtlSeconds * 1000 })
    this.tokenCorp.set(accessToken, corpId)
    return accessToken
  }

  /** What an org token opens: undefined for anything else (app tokens, expired, revoked, relieved org). */
  access(token: unknown): ApiAccess | undefined {
    if (typeof token !== 'string') return undefined
    const t = this.tokens.get(token)
    if (!t || t.expiresAt <= Date.now() || !this.corps.has(t.corpId)) return undefined
    return {
      corpId: t.corpId,
      meetings: this.orgs.get(t.corpId)?.meetings ?? [],
      robotCode: this.robotCodeOf(t.corpId),
    }
  }

  /** Counts a call of `api` for the org whose token it carries (any token it ever issued). */
  noteCall(api: string, token: unknown): void {
    const corpId = typeof token === 'string' ? this.tokenCorp.get(token) : undefined
    if (!corpId) return
    const apis = this.apiCalls.get(corpId) ?? new Map<string, number>()
    apis.set(api, (apis.get(api) ?? 0) + 1)
    this.apiCalls.set(corpId, apis)
  }

  /** Makes the org tokens issued so far (of one org, or all) invalid. */
  revokeTokens(corpId?: string): void {
    for (const [token, t] of this.tokens) if (!corpId || t.corpId === corpId) this.tokens.delete(token)
  }

  /**
   * Pushes `suite_ticket` (data `{suiteTicket}`, eventCorpId the suite's corp) to every open stream
   * connection that subscribed events (or one), even with meeting events off. Throws without a ticket.
   */
  pushTicket(opts: { connection?: string } = {}): TicketPush {
    const ticket = this.ticket
    if (ticket === undefined) throw new Error('isv: no suite ticket to push (set isv.ticket)')
    const spec = suiteTicketEvent(ticket, this.suiteCorpId, this.ports.clock.now())
    const connections = opts.connection ? [opts.connection] : this.ports.stream.liveConnections()
    const messageIds = connections
      .map((connection) => this.ports.events.push(spec, { connection, always: true }))
      .filter((id): id is string => id !== undefined)
    return { ticket, eventId: spec.eventId, messageIds }
  }

  /** A fresh ticket (or the one given) becomes the only one accepted, and is pushed. */
  rotateTicket(ticket = `TICKET${randomBytes(12).toString('hex')}`): TicketPush {
    this.ticket = ticket
    return this.pushTicket()
  }

  /** Pushes the current ticket by DingTalk's encrypted HTTP push (SyncHTTP) to a bot URL. */
  pushTicketHttp(url: string, creds: PushCredentials): Promise<PushResult> {
    if (this.ticket === undefined) throw new Error('isv: no suite ticket to push (set isv.ticket)')
    const entry = suiteTicketEntry(this.ticket, this.suiteCorpId, this.suiteKey)
    return this.ports.eventPush.send(url, syncPushBody([entry]), creds)
  }

  /**
   * An org installs the app: a new org (its data added) or a known one by corpId (again after
   * `relieve`). Pushes `org_suite_auth` (eventCorpId = the org). Returns the frame's messageId.
   */
  authorize(org: EmulatorOrg | string): string | undefined {
    const known = typeof org === 'string' ? this.orgs.get(org) : org
    if (!known)
      throw new TimelineError(
        'notFound',
        `no org ${String(org)}; the emulator's orgs: ${orgList(this.orgs.values())}`,
      )
    this.addOrg(known)
    const spec = orgLifecycleEvent(ORG_SUITE_AUTH, known, this.suiteKey, this.ports.clock.now())
    return this.ports.events.push(spec, { always: true })
  }

  /** An org uninstalls the app: no more tokens, those issued stop working; pushes `org_suite_relieve`. */
  relieve(corpId: string): string | undefined {
    if (!this.corps.has(corpId))
      throw new TimelineError('notFound', `org ${corpId} has not authorized the app`)
    this.corps.delete(corpId)
    this.revokeTokens(corpId)
    const org = this.orgs.get(corpId) ?? { corpId }
    const spec = orgLifecycleEvent(ORG_SUITE_RELIEVE, org, this.suiteKey, this.ports.clock.now())
    return this.ports.events.push(spec, { always: true })
  }

  /** `/_emulator/info`'s `orgs`: who they are, their robot code and admins, whether authorized. */
  info(): IsvOrgInfo[] {
    return [...this.orgs.values()].map((o) => ({
      corpId: o.corpId,
      name: o.name,
      robotCode: this.robotCodeOf(o.corpId),
      admins: o.admins ?? [],
      authorized: this.corps.has(o.corpId),
    }))
  }

  /** A robot message re-addressed as from a known org (the control API's stream push with corpId). */
  orgMessage(payload: Record<string, unknown>, corpId: string): Record<string, unknown> {
    this.needOrgs()
    const org = this.orgs.get(corpId)
    if (!org)
      throw new TimelineError(
        'notFound',
        `no org ${corpId}; the emulator's orgs: ${orgList(this.orgs.values())}`,
      )
    return asOrgMessage(payload, org, this.robotCodeOf(corpId))
  }

  private needOrgs(): void {
    if (!this.enabled)
      throw new TimelineError('badRequest', 'the emulator has no orgs (not in ISV mode): leave corpId out')
  }

  private addOrg(org: EmulatorOrg): void {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(org.corpId))
      throw new Error(`isv: bad corpId ${JSON.stringify(org.corpId)}`)
    const before = this.orgs.get(org.corpId)
    this.orgs.set(org.corpId, org)
    this.corps.set(org.corpId, { name: org.name })
    if (before !== org) {
      const keep = this.meetings.filter((m) => !before?.meetings.includes(m))
      this.meetings.splice(0, this.meetings.length, ...keep, ...org.meetings)
    }
  }
}

interface RouteHooks {
  /** Counts the call as `corp.token` and plays a fault; true when the fault answered. */
  intercept(reply: FastifyReply): Promise<boolean>
  errorBody(code: string, message?: string): Record<string, string>
}

/** `POST /v1.0/oauth2/corpAccessToken` (no token header), answering as DingTalk (platform notes §11). */
export function registerIsvRoutes(app: FastifyInstance, isv: EmulatorIsv, hooks: RouteHooks): void {
  app.post<{ Body: Record<string, unknown> | null }>('/v1.0/oauth2/corpAccessToken', async (req, reply) => {
    const b = req.body ?? {}
    const corpId = typeof b.authCorpId === 'string' ? b.authCorpId : ''
    isv.calls.set(corpId, isv.count(corpId) + 1)
    if (await hooks.intercept(reply)) return reply
    if (typeof b.suiteTicket === 'string') isv.ticketsSeen.push(b.suiteTicket)
    if (b.suiteKey !== isv.suiteKey || b.suiteSecret !== isv.suiteSecret)
      return reply.code(400).send(hooks.errorBody('invalidSuiteKey', '无效的suiteKey或suiteSecret'))
    if (isv.ticket === undefined || b.suiteTicket !== isv.ticket)
      return reply.code(400).send(hooks.errorBody('invalidSuiteTicket', '无效的suiteTicket'))
    if (!isv.corps.has(corpId))
      return reply.code(400).send(hooks.errorBody('invalidAuthInfo', '企业未授权该应用'))
    return { accessToken: isv.issue(corpId), expireIn: isv.tokenTtlSeconds }
  })
}
