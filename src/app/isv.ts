import type { ChatSource, FlowObserver } from '../core/context.js'
import { Failures } from '../core/errors.js'
import type { EventFlowContext } from '../core/event-context.js'
import { type Assembled, assemble, type Feature } from '../core/feature.js'
import { SharedFlight } from '../core/flight.js'
import { compose } from '../core/pipeline.js'
import { ChatSettingsStore, settingsKeyspace } from '../core/settings.js'
import { dispatchEvent } from '../core/steps/dispatch-event.js'
import type { RobotReplies } from '../delivery/delivery.js'
import { CorpTokenProvider } from '../dingtalk/corp-token.js'
import { AuthorizedOrgs, OrgNotServedError } from '../dingtalk/orgs.js'
import { SuiteTickets } from '../dingtalk/suite-ticket.js'
import { UsageLedger } from '../dingtalk/usage.js'
import type { Background } from '../features/index.js'
import { isvFeature } from '../features/isv/index.js'
import type { CheckResult } from '../ops/readiness.js'
import { FlowCounts } from '../ops/stats.js'
import type { Keyspace } from '../store/keyspaces.js'
import { ScopedStore } from '../store/scoped.js'
import type { Store } from '../store/store.js'
import { type FeatureWiring, wireFeatures } from './features.js'
import { OrgObserver } from './org-stats.js'
import { type InnerFlows, innerFlows, type Scoping } from './pipeline.js'
import {
  dingtalkHttp,
  type OrgPlatform,
  orgPlatform,
  PLATFORM_KEYSPACES,
  type PlatformDeps,
  type SharedSending,
} from './platform.js'
import { type Tenant, Tenants } from './tenants.js'

/** One org of a third-party app: its own state, token, features and flows. */
export interface OrgTenant extends Tenant {
  readonly flows: InnerFlows
  readonly settings: ChatSettingsStore
  readonly platform: OrgPlatform
  readonly counts: FlowCounts
}

export interface IsvDeps {
  readonly platform: PlatformDeps
  readonly shared: SharedSending
  /** What `/status` shows besides the features' numbers (each org gets its own counts). */
  readonly status: Omit<FeatureWiring['status'], 'messages' | 'events'>
  /** The app's observer (metrics, the operator's numbers). */
  readonly observer: FlowObserver
  readonly extra?: readonly Feature[]
}

/** A third-party (ISV) app, put together: the app-level parts and the orgs' tenants. */
export interface Isv {
  readonly tickets: SuiteTickets
  readonly corpTokens: CorpTokenProvider
  readonly tenants: Tenants<OrgTenant>
  /**
   * The app's own feature (the suite ticket, the org events) and the features' shape, the same in
   * every org: the commands (help, tests), the failures the flows explain (the app's first: no
   * ticket, not authorized), the events to subscribe to, the card actions, the keyspaces. Never
   * started; no org's item runs through it (`scoping` hands each to its org).
   */
  readonly features: Assembled
  readonly scoping: Scoping
  readonly robot: RobotReplies
  readonly chat: ChatSource
  readonly observer: FlowObserver
  readonly background: Background
  /** `/readyz`: not ready before the first suite ticket (no org can be answered). */
  readiness(): CheckResult
}

const TEMPLATE_ORG = 'template'
/** How often a replica without a ticket looks in the store for one another replica saved. */
const TICKET_RECHECK_MS = 1000

export function createIsv(deps: IsvDeps): Isv {
  const { config, log, clock, store } = deps.platform
  const suite = { suiteKey: config.dingtalk.clientId, suiteSecret: config.dingtalk.clientSecret }
  const tickets = new SuiteTickets({ store, ...suite })
  // The org-token calls are the app's, counted in the app's ledger.
  const appHttp = dingtalkHttp(deps.platform, deps.shared.budget, new UsageLedger(store, clock))
  // Replicas share each org's token: one fetches it for all (`corp-token:` keys, sealed).
  const lockTtlMs = Math.min(deps.platform.tuning.dedupe.leaseMs, 10_000)
  const corpTokens = new CorpTokenProvider({
    http: appHttp,
    ...suite,
    tickets,
    clock,
    ...(store.shared ? { shared: { store, flight: new SharedFlight(store, { lockTtlMs }) } } : {}),
  })
  const orgs = new AuthorizedOrgs(store, clock)
  const defaults = { locale: config.locale, timeZone: config.timeZone }

  let spaces: readonly Keyspace[] = []
  const wireOrg = (corpId: string, orgStore: Store) => {
    const usage = new UsageLedger(orgStore, clock)
    const http = dingtalkHttp(deps.platform, deps.shared.budget, usage)
    const tokens = corpTokens.forOrg(corpId)
    const platform = orgPlatform(deps.platform, {
      store: orgStore,
      http,
      tokens,
      usage,
      shared: deps.shared,
      userIdType: 2,
    })
    const settings = new ChatSettingsStore(orgStore, defaults)
    const counts = new FlowCounts()
    const wired = wireFeatures({
      ...deps.platform,
      log: log.child({ corpId }),
      store: orgStore,
      platform,
      settings,
      status: { ...deps.status, messages: counts, events: counts },
      ...(deps.extra ? { extra: deps.extra } : {}),
    })
    return { platform, settings, counts, wired }
  }

  const template = wireOrg(TEMPLATE_ORG, store).wired.features
  spaces = [settingsKeyspace, ...PLATFORM_KEYSPACES, ...template.keyspaces]

  const tenants: Tenants<OrgTenant> = new Tenants<OrgTenant>({
    orgs,
    probe: (corpId) => corpTokens.get(corpId),
    make: (corpId) => {
      const { platform, settings, counts, wired } = wireOrg(corpId, new ScopedStore(store, corpId, spaces))
      return {
        corpId,
        background: wired.background,
        flows: innerFlows(wired.features, deps.platform),
        settings,
        platform,
        counts,
      }
    },
    log: log.child({ component: 'orgs' }),
    clock,
  })

  let ticketHeld = false
  let lastCheck = 0
  const recheck = () => {
    lastCheck = clock()
    void tickets
      .latest()
      .then((t) => {
        if (t) ticketHeld = true
      })
      .catch(() => undefined)
  }
  recheck()
  const app = isvFeature({
    tickets,
    orgs: {
      authorize: (corpId, at) => tenants.authorize(corpId, at),
      relieve: async (corpId, at) => {
        const done = await tenants.relieve(corpId, at)
        if (done) await corpTokens.forget(corpId)
        return done
      },
    },
    onTicket: () => {
      ticketHeld = true
    },
  })
  const appFeatures = assemble([app])
  const appEvents = compose([dispatchEvent(appFeatures.events)])
  const ignored = async (ctx: EventFlowContext) => {
    ctx.outcome = 'ignored'
  }

  return {
    tickets,
    corpTokens,
    tenants,
    features: {
      ...template,
      failures: new Failures([...appFeatures.failures.rules, ...template.failures.rules]),
      events: new Map([...template.events, ...appFeatures.events]),
      keyspaces: [...spaces, ...appFeatures.keyspaces],
    },
    scoping: {
      message: async (ctx) => (await tenants.get(ctx.msg.org?.corpId ?? '')).flows.message,
      event: async (ctx) => {
        if (appFeatures.events.has(ctx.event.type)) return appEvents
        try {
          return (await tenants.get(ctx.event.corpId)).flows.event
        } catch (err) {
          // Not ours (never authorized, or removed the app): nothing to do, nothing to push again.
          if (!(err instanceof OrgNotServedError)) throw err
          ctx.log.info({ corpId: err.corpId, reason: err.reason }, 'event of an org the app does not serve')
          return ignored
        }
      },
      cardAction: async (ctx) => (await tenants.get(ctx.action.corpId)).flows.cardAction,
    },
    robot: {
      send: async (msg, reply) => (await tenants.get(msg.org?.corpId ?? '')).platform.robot.send(msg, reply),
    },
    chat: {
      defaults,
      // Only an org already served has settings; anything else reads the defaults (and fetches nothing).
      get: async (conversationId, msg) =>
        (await tenants.peek(msg?.org?.corpId ?? '')?.settings.get(conversationId)) ?? {},
    },
    observer: new OrgObserver(deps.observer, (corpId) => tenants.peek(corpId)?.counts),
    background: { start: () => void tenants.start(), stop: () => tenants.stop() },
    readiness: () => {
      if (!ticketHeld && clock() - lastCheck >= TICKET_RECHECK_MS) recheck()
      return ticketHeld
        ? { ok: true, detail: 'suite ticket held' }
        : {
            ok: false,
            detail: 'waiting for DingTalk to push the suite ticket: no org can be answered before it',
          }
    },
  }
}
