import type { EventContext } from '../../core/event.js'
import type { Feature } from '../../core/feature.js'
import { corpTokenKeyspace } from '../../dingtalk/corp-token.js'
import { type SuiteTickets, suiteTicketKeyspace } from '../../dingtalk/suite-ticket.js'
import type { Keyspace } from '../../store/keyspaces.js'

/** The ISV state: the latest suite ticket and each org's shared token. */
export const ISV_KEYSPACES: readonly Keyspace[] = [suiteTicketKeyspace, corpTokenKeyspace]

/** DingTalk's tickets are short opaque strings; anything else is not one. */
const TICKET = /^[\x21-\x7e]{1,512}$/

export interface IsvFeatureDeps {
  readonly tickets: SuiteTickets
}

/**
 * A third-party (ISV) app's platform events: the suite ticket, pushed about every 5 h over Stream
 * (`data: {suiteTicket}`) or the encrypted HTTP push, is kept as the latest one (the newest by
 * `bornAt` wins). Not in the default feature list: an internal app has no ticket.
 */
export function isvFeature(deps: IsvFeatureDeps): Feature {
  return {
    name: 'isv',
    keyspaces: ISV_KEYSPACES,
    events: {
      suite_ticket: async (ctx: EventContext) => {
        const ticket = (ctx.event.data as { suiteTicket?: unknown } | null | undefined)?.suiteTicket
        if (typeof ticket !== 'string' || !TICKET.test(ticket)) {
          // What was there is not logged: it may be a ticket in a shape we do not know.
          ctx.log.debug({ corpId: ctx.event.corpId }, 'suite_ticket event without a usable ticket ignored')
          return
        }
        const latest = await deps.tickets.save(ticket, ctx.event.bornAt)
        ctx.log.info(
          { bornAt: ctx.event.bornAt, kept: latest },
          latest ? 'suite ticket saved' : 'suite ticket older than the stored one, not kept',
        )
      },
    },
  }
}
