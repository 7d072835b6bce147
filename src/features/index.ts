import type { Feature } from '../core/feature.js'
import type { Logger } from '../logger.js'
import { type AdminDeps, adminFeature } from './admin/index.js'
import { helpFeature } from './help/index.js'
import {
  type CardApi,
  type LiveCardFeature,
  type LiveCardSettings,
  liveCardFeature,
} from './livecard/index.js'
import { type MeetingDeps, meetingFeature } from './meeting/index.js'
import { parseMeetingRef } from './meeting/reference.js'
import { platformFeature } from './platform/index.js'
import { type NoticePort, type WatchSettings, watchFeature } from './watch/index.js'

export interface FeatureDeps extends MeetingDeps, Omit<AdminDeps, 'status'> {
  /** `/status` reads the meeting cache's and the watches' numbers from their features, the rest from here. */
  readonly status: Omit<AdminDeps['status'], 'cache' | 'watch'>
  readonly log: Logger
  /** Where proactive notices go out (delivery's conversation-addressed sender). */
  readonly notices: NoticePort
  readonly watch: WatchSettings
  /** Live meeting cards: the card API and the knobs; undefined (no template id): markdown cards. */
  readonly liveCards?: { readonly cards: CardApi; readonly settings: LiveCardSettings } | undefined
}

/** Work a feature does in the background, started and stopped with the app (the watch poller). */
export interface Background {
  start(): void
  stop(): Promise<void>
}

/** The features, and their background work for the app to start and stop. */
export interface Features {
  /** In the order help lists their commands. */
  readonly features: Feature[]
  readonly background: Background[]
}

/** Every feature the bot has. A new feature is a folder and one line here. */
export function createFeatures(deps: FeatureDeps): Features {
  // The meeting answer goes as a live card when there is one (the card feature is made below).
  let live: LiveCardFeature | undefined
  const meeting = meetingFeature({
    ...deps,
    present: async (lookup, ctx) => live?.present(lookup, ctx),
  })
  const watch = watchFeature({
    store: deps.store,
    conferences: deps.conferences,
    // The watch feature finds meetings as the meeting feature does, through its cache.
    meetings: { parse: parseMeetingRef, lookup: (ref) => meeting.service.lookup(ref) },
    notices: deps.notices,
    settings: deps.watch,
    clock: deps.clock,
    log: deps.log,
  })
  if (deps.liveCards) {
    live = liveCardFeature({
      store: deps.store,
      feed: watch.tracking,
      // The same cached, single-flight lookups as the meeting answer.
      lookups: {
        byId: async (id) => (await meeting.service.lookup({ kind: 'conferenceId', id })).conference,
        members: async (id) => (await meeting.service.members({ kind: 'conferenceId', id })).list.members,
      },
      watches: watch.toggle,
      cards: deps.liveCards.cards,
      settings: deps.liveCards.settings,
      address: (msg) => deps.notices.address(msg),
      clock: deps.clock,
      log: deps.log,
    })
  }
  return {
    features: [
      meeting,
      watch,
      ...(live ? [live] : []),
      helpFeature(),
      adminFeature({
        ...deps,
        status: { ...deps.status, cache: meeting.service, watch, lines: live ? [live] : [] },
      }),
      platformFeature(),
    ],
    background: [watch.engine, ...(live ? [live.engine] : [])],
  }
}
