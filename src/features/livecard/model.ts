import type { Locale } from '../../core/locale.js'
import type { ConferenceInfo, ConferenceMember, ConferenceStatus } from '../../dingtalk/conference.js'
import type { Logger } from '../../logger.js'

/*
 * What the live-card feature keeps and the ports it is handed (features/index.ts wires them: a
 * feature never imports another). The meeting's news comes from the watch feature's tracking
 * (events and polls, one per meeting however many cards show it); the cards go out through the
 * card API.
 */

/** What is known of a meeting now, from events, polls and lookups. */
export interface LiveState {
  readonly conferenceId: string
  readonly title?: string | undefined
  readonly roomCode?: string | undefined
  readonly creatorNick?: string | undefined
  readonly joinUrl?: string | undefined
  readonly status: ConferenceStatus
  readonly scheduledStart?: number | undefined
  readonly startedAt?: number | undefined
  readonly endedAt?: number | undefined
  readonly durationMs?: number | undefined
  /** In the meeting now (undefined: not known). */
  readonly activeNum?: number | undefined
  readonly joined?: number | undefined
  readonly invited?: number | undefined
  readonly mostAtOnce?: number | undefined
  readonly host?: string | undefined
  /** The ended meeting's summary is as complete as it gets: the card may freeze. */
  readonly final: boolean
}

/** The watch feature's tracking, as live cards use it. */
export interface MeetingFeed {
  /** Keeps the meeting tracked (polled, fed by events) until `until`; a later call extends it. */
  follow(c: ConferenceInfo, until: number): Promise<void>
  /** Nobody's card shows it any more. */
  unfollow(conferenceId: string): Promise<void>
  state(conferenceId: string): Promise<LiveState | undefined>
  /** A fresh lookup (Refresh), folded into what is known. */
  fold(c: ConferenceInfo): Promise<void>
}

/** A chat's watch of a meeting, as the Watch button toggles it. */
export interface WatchToggle {
  isWatched(conferenceId: string, conversationId: string): Promise<boolean>
  /** The conversations watching the meeting. */
  chatsWatching(conferenceId: string): Promise<ReadonlySet<string>>
  add(req: {
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
  }): Promise<{ added: boolean; text: string }>
  remove(conferenceId: string, conversationId: string): Promise<boolean>
}

/** The meeting feature's cached lookups (one lookup for every chat asking at once). */
export interface MeetingLookups {
  byId(conferenceId: string): Promise<ConferenceInfo>
  members(conferenceId: string): Promise<readonly ConferenceMember[]>
}

/** The card API (`dingtalk/cards.ts`). */
export interface CardApi {
  deliver(d: {
    templateId: string
    outTrackId: string
    space: { type: 'group' | 'single'; conversationId: string; staffId: string; nick?: string }
    data: Readonly<Record<string, string>>
    callbackType: 'STREAM' | 'HTTP'
    callbackRouteKey?: string
  }): Promise<void>
  update(outTrackId: string, data: Readonly<Record<string, string>>): Promise<void>
}

/** One live card, as kept (`livecard:<outTrackId>`). */
export interface LiveCard {
  readonly v: 1
  readonly outTrackId: string
  readonly conferenceId: string
  readonly conversationId: string
  readonly conversationType: 'group' | 'single'
  /** Where a watch made from the card sends its notices (the notice port's address). */
  readonly chat: unknown
  readonly by: { readonly staffId: string; readonly nick: string }
  readonly locale: Locale
  readonly timeZone: string
  readonly sharedCount: number
  readonly choice: string
  readonly createdAt: number
  /** Updates stop here (`BOT_CARD_LIVE_HOURS` after it was sent, or after a Refresh). */
  liveUntil: number
  /** What the card shows, as last sent (or answered to a click). */
  shown: Record<string, string>
  lastSentAt: number
  updates: number
  /** Set once the card was frozen (ended, past its bound, quota spent): no more updates. */
  frozen?: 'ended' | 'expired' | 'quota'
}
