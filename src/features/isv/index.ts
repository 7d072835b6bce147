import type { Failure } from '../../core/errors.js'
import type { EventContext } from '../../core/event.js'
import type { Feature } from '../../core/feature.js'
import { corpTokenKeyspace, InvalidSuiteTicketError, NoSuiteTicketError } from '../../dingtalk/corp-token.js'
import { CORP_ID, OrgNotServedError, orgKeyspace } from '../../dingtalk/orgs.js'
import { type SuiteTickets, suiteTicketKeyspace } from '../../dingtalk/suite-ticket.js'
import type { Keyspace } from '../../store/keyspaces.js'
import { ISV_FAILURES } from './strings.js'

/** The ISV state: the latest suite ticket, each org's shared token, the orgs on record. */
export const ISV_KEYSPACES: readonly Keyspace[] = [suiteTicketKeyspace, corpTokenKeyspace, orgKeyspace]

/** DingTalk's tickets are short opaque strings; anything else is not one. */
const TICKET = /^[\x21-\x7e]{1,512}$/

/** What the org events change: the orgs the app serves (`app/tenants.ts`). */
export interface OrgLifecycle {
  authorize(corpId: string, at: number): Promise<boolean>
  relieve(corpId: string, at: number): Promise<boolean>
}

export interface IsvFeatureDeps {
  readonly tickets: SuiteTickets
  /** Without it the org events are not acted on (the ticket alone, as in unit tests). */
  readonly orgs?: OrgLifecycle
  /** Told when a ticket was kept as the latest (readiness). */
  readonly onTicket?: () => void
}

/** The org an org event is about: the event's corp, else what its data names. */
function orgOf(ctx: EventContext): string | undefined {
  const d = (ctx.event.data ?? {}) as Record<string, unknown>
  const named = [ctx.event.corpId, d.authCorpId, d.corpId, d.corp_id].find(
    (v): v is string => typeof v === 'string' && CORP_ID.test(v),
  )
  return named
}

function explain(err: unknown): Failure | undefined {
  if (err instanceof NoSuiteTicketError) return ISV_FAILURES.noSuiteTicket
  if (err instanceof InvalidSuiteTicketError) return ISV_FAILURES.staleSuiteTicket
  if (err instanceof OrgNotServedError) {
    if (err.reason === 'relieved') return ISV_FAILURES.orgRelieved
    if (err.reason === 'no-org') return ISV_FAILURES.noOrg
    return ISV_FAILURES.orgNotAuthorized
  }
  return undefined
}

/**
 * A third-party (ISV) app's platform events: the suite ticket, pushed about every 5 h over Stream
 * (`data: {suiteTicket}`) or the encrypted HTTP push, is kept as the latest one (the newest by
 * `bornAt` wins); `org_suite_auth` and `org_suite_relieve` add and remove an org. And how the
 * app's own conditions read in the chat: no ticket yet, an org that has not authorized the app.
 * Only in a third-party app (`DINGTALK_APP_TYPE=isv`): an internal app has no ticket.
 */
export function isvFeature(deps: IsvFeatureDeps): Feature {
  const orgEvent =
    (change: 'authorize' | 'relieve') =>
    async (ctx: EventContext): Promise<void> => {
      const corpId = orgOf(ctx)
      if (!corpId || !deps.orgs) {
        ctx.log.info({ eventType: ctx.event.type }, 'org event without an org we can use ignored')
        return
      }
      const recorded = await deps.orgs[change](corpId, ctx.event.bornAt)
      ctx.log.info(
        { corpId, recorded },
        recorded
          ? change === 'authorize'
            ? 'org authorized the app'
            : 'org removed the app: nothing more is done for it'
          : 'org event older than the one on record, not applied',
      )
    }
  return {
    name: 'isv',
    keyspaces: ISV_KEYSPACES,
    failures: [explain],
    events: {
      suite_ticket: async (ctx: EventContext) => {
        const ticket = (ctx.event.data as { suiteTicket?: unknown } | null | undefined)?.suiteTicket
        if (typeof ticket !== 'string' || !TICKET.test(ticket)) {
          // What was there is not logged: it may be a ticket in a shape we do not know.
          ctx.log.debug({ corpId: ctx.event.corpId }, 'suite_ticket event without a usable ticket ignored')
          return
        }
        const latest = await deps.tickets.save(ticket, ctx.event.bornAt)
        if (latest) deps.onTicket?.()
        ctx.log.info(
          { bornAt: ctx.event.bornAt, kept: latest },
          latest ? 'suite ticket saved' : 'suite ticket older than the stored one, not kept',
        )
      },
      org_suite_auth: orgEvent('authorize'),
      org_suite_relieve: orgEvent('relieve'),
    },
  }
}
