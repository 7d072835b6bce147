/** Types the emulator and its control API share (so neither imports the other for them). */

/**
 * A fault the emulator answers instead of the real thing, once per call until `times` runs out.
 * `status` + `code` make a DingTalk error body; `html` answers a non-JSON page (an IP ban looks
 * like that); `delayMs` delays the answer (a slow or hanging upstream); `reset` drops the socket.
 */
export interface Fault {
  status?: number
  code?: string
  message?: string
  html?: boolean
  delayMs?: number
  reset?: boolean
  times?: number
}

/** What the emulator recorded for each reply the bot sent, whichever way it came. */
export interface RecordedReply {
  /** 1, 2, 3... in the order recorded: `/_emulator/replies?after=` pages by it. */
  id: number
  via: 'webhook' | 'openapi'
  /** ISV mode: the org whose token sent it (OpenAPI), or whose session webhook it went to. */
  corpId?: string
  session?: string
  conversationId?: string
  userIds?: string[]
  body: Record<string, unknown>
  at: number
}

export type CardSpaceType = 'IM_GROUP' | 'IM_ROBOT'
export type CardCallbackType = 'STREAM' | 'HTTP'

/** A change of a card's data: a `PUT /v1.0/card/instances` (by key or whole) or a callback's answer. */
export interface CardUpdate {
  readonly at: number
  readonly data: Record<string, string>
  readonly by: 'api' | 'callback'
  readonly byKey: boolean
}

/** A button pressed (`EmulatorCards.press`), with what the bot answered or why it did not. */
export interface CardClick {
  readonly at: number
  readonly action: string
  readonly userId: string
  readonly via: 'stream' | 'http'
  readonly ms: number
  readonly response: unknown
  /** Set when the press failed: no ack in time, an HTTP error, no connection. */
  readonly error?: string
}

/** A card instance as DingTalk holds it once `createAndDeliver` delivered it. */
export interface CardInstance {
  readonly outTrackId: string
  readonly templateId: string
  readonly space: { readonly type: CardSpaceType; readonly id: string }
  readonly robotCode: string
  /** ISV mode: the org whose token created it; only that org's tokens update it. */
  readonly corpId?: string
  readonly callbackType: CardCallbackType
  readonly callbackRouteKey?: string
  readonly atUserIds?: Record<string, string>
  data: Record<string, string>
  readonly createdAt: number
  /** The value of `EmulatorCards.version` at the instance's latest change. */
  version: number
  readonly updates: CardUpdate[]
  readonly clicks: CardClick[]
}
