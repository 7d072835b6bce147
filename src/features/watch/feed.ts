import type { Locale } from '../../core/locale.js'
import type { ConferenceInfo, ConferenceStatus } from '../../dingtalk/conference.js'
import type { Logger } from '../../logger.js'
import { addWatch, type CommandDeps } from './commands.js'
import { applyInfo, summaryOf, type Track } from './model.js'
import type { WatchStore } from './store.js'

/*
 * What the watch feature offers other features (handed over by features/index.ts): its tracking
 * of a meeting (events and polls, one per meeting) without a watch, and a chat's watch as a
 * button toggles it. Live cards use both.
 */

/** What is known of a followed meeting now. */
export interface TrackedState {
  readonly conferenceId: string
  readonly title: string | undefined
  readonly roomCode: string | undefined
  readonly creatorNick: string | undefined
  readonly joinUrl: string | undefined
  readonly status: ConferenceStatus
  readonly scheduledStart: number | undefined
  readonly startedAt: number | undefined
  readonly endedAt: number | undefined
  readonly durationMs: number | undefined
  readonly activeNum: number | undefined
  readonly joined: number | undefined
  readonly invited: number | undefined
  readonly mostAtOnce: number
  readonly host: string | undefined
  readonly final: boolean
}

export function trackedState(t: Track): TrackedState {
  const s = summaryOf(t)
  return {
    conferenceId: t.conferenceId,
    title: t.title,
    roomCode: t.roomCode,
    creatorNick: t.creatorNick,
    joinUrl: t.joinUrl,
    status: t.status,
    scheduledStart: t.scheduledStart,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
    durationMs: s.durationMs,
    activeNum: t.status === 1 ? 0 : t.activeNum,
    joined: s.joined,
    invited: s.invited,
    mostAtOnce: s.mostAtOnce,
    host: s.host,
    final: t.status === 1 && t.final,
  }
}

export interface MeetingTracking {
  follow(c: ConferenceInfo, until: number): Promise<void>
  unfollow(conferenceId: string): Promise<void>
  state(conferenceId: string): Promise<TrackedState | undefined>
  fold(c: ConferenceInfo): Promise<void>
}

export function meetingTracking(store: WatchStore): MeetingTracking {
  return {
    async follow(c, until) {
      await store.follow(c, until)
    },
    unfollow: (conferenceId) => store.unfollow(conferenceId),
    async state(conferenceId) {
      const t = await store.track(conferenceId)
      return t ? trackedState(t) : undefined
    },
    async fold(c) {
      await store.updateTrack(c.conferenceId, (t) => {
        applyInfo(t, c)
        if (c.status === 1) t.endInfo = true
        return true
      })
    },
  }
}

export interface WatchRequestInput {
  conference: ConferenceInfo
  sharedCount: number
  choice: string
  chat: unknown
  conversationId: string
  by: { staffId: string; nick: string }
  locale: Locale
  timeZone: string
  now: number
  log: Logger
}

export interface WatchToggle {
  isWatched(conferenceId: string, conversationId: string): Promise<boolean>
  chatsWatching(conferenceId: string): Promise<ReadonlySet<string>>
  add(req: WatchRequestInput): Promise<{ added: boolean; text: string }>
  remove(conferenceId: string, conversationId: string): Promise<boolean>
}

export function watchToggle(deps: Pick<CommandDeps, 'store' | 'engine' | 'settings'>): WatchToggle {
  const { store } = deps
  return {
    async isWatched(conferenceId, conversationId) {
      return (await store.ofConference(conferenceId)).some((w) => w.conversationId === conversationId)
    },
    async chatsWatching(conferenceId) {
      return new Set((await store.ofConference(conferenceId)).map((w) => w.conversationId))
    },
    add: (req) => addWatch(deps, req),
    async remove(conferenceId, conversationId) {
      const watched = (await store.ofConference(conferenceId)).some(
        (w) => w.conversationId === conversationId,
      )
      if (watched) await store.remove({ conferenceId, conversationId })
      return watched
    },
  }
}
