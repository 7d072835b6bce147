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
  session?: string
  conversationId?: string
  userIds?: string[]
  body: Record<string, unknown>
  at: number
}
