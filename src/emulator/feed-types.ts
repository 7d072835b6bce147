/**
 * What the emulator's event stream (`GET /_emulator/feed`, feed.ts) says, shared with the
 * browser playground (web/playground). Types only: the page imports them, nothing runs.
 * Nothing here ever carries a secret, a token or a session webhook URL.
 */

/** Someone the playground speaks as; `corpId` is their org (ISV mode has more than one). */
export interface FeedUser {
  readonly staffId: string
  readonly nick: string
  readonly isAdmin: boolean
  readonly corpId?: string
}

export interface FeedMeeting {
  readonly conferenceId: string
  readonly roomCode: string
  readonly title: string
  /** 0 not started, 1 ended, 2 in progress. */
  readonly status: number
  readonly startTime: number
  readonly endTime?: number
  readonly activeNum: number
  readonly attendNum: number
  /** Who is in the meeting now (for Leave). */
  readonly inMeeting: readonly string[]
  readonly forbidden: boolean
}

/** A fault waiting to answer the next calls of one API (`POST /_emulator/faults`). */
export interface FeedFault {
  readonly target: string
  readonly fault: Readonly<Record<string, unknown>>
}

/** The emulator as it is now: sent first, and again after every change made through the control API. */
export interface FeedState {
  readonly now: number
  readonly offsetMs: number
  readonly eventsEnabled: boolean
  /** The bot's transports (`http`, `stream`). */
  readonly transports: readonly string[]
  readonly meetings: readonly FeedMeeting[]
  readonly faults: readonly FeedFault[]
  /** Errcodes the session webhook answers next. */
  readonly webhookAnswers: readonly number[]
  /** What `POST /_emulator/faults` takes as `target`. */
  readonly faultTargets: readonly string[]
  /** The member and the org admin the playground offers. */
  readonly users: readonly FeedUser[]
  /** `BOT_ADMINS`: staff ids that are admins without being org admins. */
  readonly botAdmins: readonly string[]
  /** The orgs a message may come from: more than one only in ISV mode. */
  readonly orgs: ReadonlyArray<{ readonly corpId: string; readonly name: string }>
  readonly group: { readonly id: string; readonly title: string }
  /** Stream connections open now. */
  readonly streamConnections: number
}

export type ChatKind = 'group' | 'single'
export type SendVia = 'http' | 'stream'

/** One line of the bot's log about something it handled (its `message handled`-type lines). */
export interface FeedLogLine {
  readonly kind: 'message' | 'card action' | 'event' | 'warning'
  readonly time: number
  readonly msg: string
  readonly msgId?: string
  readonly conversation?: string
  readonly transport?: string
  readonly command?: string
  readonly result?: string
  readonly outcome?: string
  readonly path?: string
  readonly durationMs?: number
  readonly ref?: string
  readonly action?: string
  readonly eventType?: string
  /** The DingTalk API calls the emulator answered while the bot handled it, by API. */
  readonly upstream: Readonly<Record<string, number>>
}

export interface FeedCard {
  readonly outTrackId: string
  readonly conversationId: string
  readonly data: Readonly<Record<string, string>>
  readonly version: number
  readonly createdAt: number
}

export type FeedItem =
  | { readonly type: 'state'; readonly state: FeedState }
  | {
      readonly type: 'message'
      readonly msgId: string
      readonly conversationId: string
      readonly chat: ChatKind
      readonly user: FeedUser
      readonly text: string
      readonly via: SendVia
      /** Whether the bot was @-mentioned (in a group DingTalk delivers only those). */
      readonly mention: boolean
      readonly delivered: boolean
      readonly at: number
    }
  | {
      readonly type: 'reply'
      readonly id: string
      readonly conversationId: string
      readonly via: 'inline' | 'webhook' | 'openapi'
      readonly body: unknown
      readonly at: number
      /** The message it answers; absent for what the bot posted on its own (a notice). */
      readonly msgId?: string
    }
  | { readonly type: 'card'; readonly card: FeedCard }
  | { readonly type: 'log'; readonly line: FeedLogLine }
  | {
      readonly type: 'redelivered'
      readonly msgId: string
      readonly via: SendVia
      readonly at: number
    }
  | {
      /** A send that did not reach the bot (refused callback, no stream connection). */
      readonly type: 'problem'
      readonly msgId?: string
      readonly conversationId?: string
      readonly message: string
      readonly at: number
    }

/** An item as the stream sends it: `id` for `Last-Event-ID`. */
export type FeedEvent = FeedItem & { readonly seq: number }
