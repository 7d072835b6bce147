import type { Feature } from '../../core/feature.js'
import type { Flight } from '../../core/flight.js'
import type { ConferenceClient } from '../../dingtalk/conference.js'
import type { Store } from '../../store/store.js'
import { cacheCommand } from './cache-command.js'
import { meetingCommand, type Presenter } from './command.js'
import { membersCommand } from './members-command.js'
import { parseMeetingRef } from './reference.js'
import { type CacheTtls, MeetingService, meetingCacheKeyspace } from './service.js'

export type { Presenter } from './command.js'

export interface MeetingDeps {
  readonly conferences: ConferenceClient
  readonly store: Store
  readonly flight: Flight
  readonly ttls: CacheTtls
  readonly clock: () => number
  /**
   * Shows the answer another way when it can (a live card, sent by the card API): undefined
   * means it could not, and the markdown card goes as without it.
   */
  readonly present?: Presenter
}

export interface MeetingFeature extends Feature {
  /** The cached, single-flight lookups: other features read its numbers and clear it. */
  readonly service: MeetingService
}

/**
 * `meeting <room code | conference id | join link>` (a bare room code or join link alike),
 * `members <...>` (who is in it; it resolves room codes the same way, through the same cache) and
 * the admins' `/cache clear`.
 */
export function meetingFeature(deps: MeetingDeps): MeetingFeature {
  const service = new MeetingService(deps.conferences, deps.store, deps.flight, deps.ttls, deps.clock)
  const meeting = meetingCommand(service, deps.present)
  return {
    name: 'meeting',
    service,
    commands: [meeting, membersCommand(service), cacheCommand(service)],
    fallback: (text) => (parseMeetingRef(text) ? meeting : undefined),
    keyspaces: [meetingCacheKeyspace],
  }
}
