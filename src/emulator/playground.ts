import type { FastifyInstance } from 'fastify'
import type { EmulatorCards } from './cards.js'
import { EmulatorFeed } from './feed.js'
import type { FeedMeeting, FeedState } from './feed-types.js'
import type { EmulatorMeeting } from './meetings.js'
import { ATTEND } from './members.js'
import { EMULATED_GROUP, EMULATED_USERS } from './messages.js'
import { type PlaygroundContext, registerPlaygroundRoutes } from './playground-routes.js'
import type { EmulatorClock } from './timeline.js'

/** The emulator's parts the browser playground's feed and routes read and drive. */
export interface PlaygroundParts extends Omit<PlaygroundContext, 'feed'> {
  readonly cards: EmulatorCards
  readonly clock: EmulatorClock
  meetings(): readonly EmulatorMeeting[]
  eventsEnabled(): boolean
  readonly faultTargets: readonly string[]
  /** The orgs of ISV mode (none otherwise). */
  orgs(): ReadonlyArray<{ corpId: string; name: string }>
  streamConnections(): number
}

function meetingOf(m: EmulatorMeeting): FeedMeeting {
  return {
    conferenceId: m.conferenceId,
    roomCode: m.roomCode,
    title: m.title,
    status: m.status,
    startTime: m.startTime,
    ...(m.endTime !== undefined ? { endTime: m.endTime } : {}),
    activeNum: m.activeNum ?? 0,
    attendNum: m.attendNum ?? 0,
    inMeeting: (m.members ?? []).filter((x) => x.attendStatus === ATTEND.inMeeting).map((x) => x.userNick),
    forbidden: m.forbidden === true,
  }
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

/** What the page shows of the emulator: picked field by field, so no secret can slip in. */
export function playgroundState(p: PlaygroundParts): FeedState {
  const info = p.info()
  return {
    now: p.clock.now(),
    offsetMs: p.clock.offsetMs,
    eventsEnabled: p.eventsEnabled(),
    transports: strings(info.transports),
    meetings: p.meetings().map(meetingOf),
    faults: p.pendingFaults(),
    webhookAnswers: [...p.webhookAnswers],
    faultTargets: p.faultTargets,
    users: [EMULATED_USERS.user, EMULATED_USERS.admin],
    botAdmins: strings(info.botAdmins),
    orgs: p.orgs().map(({ corpId, name }) => ({ corpId, name })),
    group: { id: EMULATED_GROUP.id, title: EMULATED_GROUP.title },
    streamConnections: p.streamConnections(),
  }
}

/**
 * The browser playground's side of the emulator (emulator mode only): the event stream
 * (`GET /_emulator/feed`) and its control routes. Returns the feed, for the emulator's taps.
 */
export function attachPlayground(app: FastifyInstance, parts: PlaygroundParts): EmulatorFeed {
  const feed = new EmulatorFeed({
    state: () => playgroundState(parts),
    cards: parts.cards,
    faultsPending: () => parts.pendingFaults().length > 0,
  })
  feed.register(app)
  registerPlaygroundRoutes(app, { ...parts, feed })
  return feed
}
