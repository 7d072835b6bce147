import { randomBytes } from 'node:crypto'
import { conversationIdOf, type EmulatedUser, robotTextMessage } from '../emulator/messages.js'
import { type CallbackAnswer, postRobotCallback } from '../emulator/robot-callback.js'
import { type CardSpace, cardSpace, fetchCards, newestCard, type PressAnswer } from './card-client.js'
import type { ChatCard } from './card-render.js'
import { ChatError } from './errors.js'

export { type CardSpace, cardSpace, type PressAnswer } from './card-client.js'
export { ChatError } from './errors.js'

/** What the running emulator tells the chat (GET /_emulator/info). */
export interface EmulatorInfo {
  readonly clientId: string
  readonly clientSecret: string
  readonly robotCode: string
  readonly botUrl: string
  readonly transports: readonly string[]
  readonly meetings: ReadonlyArray<{ roomCode: string; title: string; status: number; corpId?: string }>
  /** ISV mode: the orgs that installed the app (the emulator's `isv.orgs`). */
  readonly orgs?: readonly ChatOrg[]
}

/** An org of the emulator in ISV mode, as `/_emulator/info` lists it. */
export interface ChatOrg {
  readonly corpId: string
  readonly name: string
  readonly robotCode: string
  readonly admins: readonly string[]
  readonly authorized: boolean
}

export interface ChatTarget {
  readonly user: EmulatedUser
  readonly conversation: 'group' | 'single'
  readonly transport: 'http' | 'stream'
  /** ISV mode: the org the user is of (`--org`, `:org`); its robot, chats and admins. */
  readonly org?: ChatOrg
}

export interface ChatReply {
  /** The reply body; for `via: 'card'` the interactive card (a `ChatCard`). */
  readonly reply: unknown
  /**
   * How it came back: in the HTTP response, via the session webhook, the robot OpenAPI, or as an
   * interactive card delivered to this chat (createAndDeliver).
   */
  readonly via: 'inline' | 'webhook' | 'openapi' | 'card'
  readonly ms: number
}

/** A message the bot posted on its own (a watched meeting started), not an answer to one sent. */
export interface ChatNotice {
  readonly id: number
  readonly body: unknown
  readonly via: 'webhook' | 'openapi'
}

interface Recorded {
  readonly id: number
  readonly body: unknown
  readonly via: 'webhook' | 'openapi'
}

/**
 * Talks to the bot exactly as DingTalk does: a signed HTTP callback, or a stream frame pushed
 * through the emulator's gateway; then waits for the reply wherever DingTalk would see it.
 */
export class ChatClient {
  private info: EmulatorInfo | undefined
  /** Every session webhook this client hands out starts with it: notices by webhook come back by it. */
  readonly sessionPrefix = `chat${randomBytes(4).toString('hex')}-`
  /** Replies returned as answers: the notice watch leaves them out. */
  private readonly answered = new Set<number>()
  /** The newest reply id seen by `notices`. */
  private lastSeen = 0
  /** A card version the chat has followed up to (`followFrom`): answers are looked for after it. */
  cardVersion = 0

  constructor(
    readonly emulatorUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  async connect(): Promise<EmulatorInfo> {
    let res: Response
    try {
      res = await fetch(`${this.emulatorUrl}/_emulator/info`, { signal: AbortSignal.timeout(3000) })
    } catch {
      throw new ChatError(
        `cannot reach the bot's DingTalk emulator at ${this.emulatorUrl}. Is the bot running? Start it with "npm start" ` +
          '(without DingTalk credentials it runs in emulator mode).',
      )
    }
    if (!res.ok) throw new ChatError(`${this.emulatorUrl} is not a meeting-bot emulator (HTTP ${res.status})`)
    this.info = (await res.json()) as EmulatorInfo
    return this.info
  }

  /** The emulator's org with this corpId; a ChatError listing its orgs when there is none. */
  async org(corpId: string): Promise<ChatOrg> {
    const orgs = (await this.connect()).orgs ?? []
    const org = orgs.find((o) => o.corpId === corpId)
    if (org) return org
    const known = orgs.map((o) => `${o.corpId} (${o.name})`).join(', ')
    throw new ChatError(
      known
        ? `the emulator has no org "${corpId}"; its orgs: ${known}`
        : `the emulator has no orgs (it is not in ISV mode), so there is no org "${corpId}"`,
    )
  }

  /** Lets time pass for the emulated meetings. */
  advance(ms: number): Promise<{ now: number; offsetMs: number }> {
    return this.control('/_emulator/clock/advance', { ms })
  }

  /** start | end | join | leave a meeting; join and leave name someone. */
  meeting<T>(
    code: string,
    op: 'start' | 'end' | 'join' | 'leave',
    body: Record<string, unknown> = {},
  ): Promise<T> {
    return this.control(`/_emulator/meetings/${encodeURIComponent(code)}/${op}`, body)
  }

  /** DingTalk pushes meeting events to the bot, or not. */
  setEvents(enabled: boolean): Promise<{ enabled: boolean }> {
    return this.control('/_emulator/events', { enabled })
  }

  /** The cards of one chat changed after a version, waiting up to `waitMs` for one (`fetchCards`). */
  cards(space: CardSpace, after: number, waitMs: number, signal?: AbortSignal) {
    return fetchCards(this.emulatorUrl, space, after, waitMs, signal)
  }

  /** The newest card the bot delivered to this chat, if any. */
  async latestCard(space: CardSpace): Promise<ChatCard | undefined> {
    return newestCard((await this.cards(space, 0, 0)).cards)
  }

  /** Presses a button of a card as `userId`; the emulator's refusals (unknown action...) become ChatErrors. */
  press(outTrackId: string, action: string, userId: string): Promise<PressAnswer> {
    // A Stream click may wait for the gateway's re-pushes: up to the emulator's 10 s.
    return this.control(
      `/_emulator/cards/${encodeURIComponent(outTrackId)}/press`,
      { action, userId },
      12_000,
    )
  }

  /** POSTs to the emulator's control API; its refusals (a meeting not running...) become ChatErrors. */
  private async control<T>(path: string, body: unknown, timeoutMs = 3000): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${this.emulatorUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch {
      throw new ChatError(
        `cannot reach the bot's DingTalk emulator at ${this.emulatorUrl}. Is the bot running?`,
      )
    }
    const answer = (await res.json().catch(() => ({}))) as { message?: string }
    if (!res.ok) throw new ChatError(answer.message ?? `the emulator answered HTTP ${res.status}`)
    return answer as T
  }

  async send(text: string, target: ChatTarget): Promise<ChatReply> {
    const info = this.info ?? (await this.connect())
    if (!info.transports.includes(target.transport)) {
      throw new ChatError(
        `the bot does not run the ${target.transport} transport (it runs: ${info.transports.join(', ')})`,
      )
    }
    const session = `${this.sessionPrefix}${randomBytes(12).toString('hex')}`
    const payload = robotTextMessage({
      text,
      user: target.user,
      conversation: target.conversation,
      sessionWebhook: `${this.emulatorUrl}/robot/sendBySession?session=${session}`,
      robotCode: target.org?.robotCode ?? info.robotCode,
      ...(target.org ? { org: target.org } : {}),
    })
    const started = Date.now()
    if (target.transport === 'http') {
      const inline = await this.viaHttp(info, payload)
      if (inline !== undefined) return { reply: inline, via: 'inline', ms: Date.now() - started }
    } else {
      await this.viaStream(payload)
    }
    // The answer is a message, or an interactive card delivered to this chat: whichever comes first.
    const abort = new AbortController()
    try {
      const answer = await Promise.any([
        this.waitForReply(session, payload.conversationId, target.user.staffId, started, abort.signal),
        this.waitForCard(cardSpace(target), started, abort.signal).then((card) => ({
          body: card,
          via: 'card' as const,
        })),
      ]).catch((err: AggregateError) => {
        throw err.errors[0]
      })
      return { reply: answer.body, via: answer.via, ms: Date.now() - started }
    } finally {
      abort.abort()
    }
  }

  /** The first card delivered to this chat since `since` (the answer to a question just sent). */
  private async waitForCard(space: CardSpace, since: number, signal: AbortSignal): Promise<ChatCard> {
    const deadline = Date.now() + this.timeoutMs
    let after = this.cardVersion
    while (!signal.aborted) {
      const left = deadline - Date.now()
      if (left <= 0) break
      const { version, cards } = await this.cards(space, after, Math.min(left, 10_000), signal)
      after = version
      const card = cards.find((c) => c.createdAt >= since)
      if (card) return card
    }
    throw new ChatError(`no card within ${Math.round(this.timeoutMs / 1000)} s`)
  }

  private async viaHttp(info: EmulatorInfo, payload: object): Promise<unknown> {
    let answer: CallbackAnswer
    try {
      answer = await postRobotCallback(info.botUrl, info.clientSecret, payload, this.timeoutMs)
    } catch {
      throw new ChatError(`the bot does not answer at ${info.botUrl}. Is it still running?`)
    }
    if (answer.status < 200 || answer.status >= 300)
      throw new ChatError(
        `the bot refused the callback: HTTP ${answer.status} ${JSON.stringify(answer.body)}`,
      )
    return answer.inline
  }

  private async viaStream(payload: object): Promise<void> {
    const res = await fetch(`${this.emulatorUrl}/_emulator/stream/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payload }),
    })
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { message?: string }
      throw new ChatError(
        `the emulator could not push the stream frame: ${body.message ?? `HTTP ${res.status}`}`,
      )
    }
  }

  /** Whether the reply with this id was returned by `send` as the answer to a question. */
  isAnswer(id: number): boolean {
    return this.answered.has(id)
  }

  /**
   * Waits (up to `waitMs`) for what the bot posts on its own to the chats of `target`: the group,
   * or the person of a one-to-one chat, by the robot OpenAPI or by any session webhook this client
   * handed out. Answers `send` returned are left out; each notice is returned once.
   */
  async notices(target: ChatTarget, waitMs: number, signal?: AbortSignal): Promise<ChatNotice[]> {
    const q = new URLSearchParams({
      sessionPrefix: this.sessionPrefix,
      conversationId: conversationIdOf(target.conversation, target.user.staffId, target.org),
      userId: target.user.staffId,
      after: String(this.lastSeen),
      waitMs: String(waitMs),
    })
    const res = await fetch(`${this.emulatorUrl}/_emulator/replies?${q}`, {
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(waitMs + 5000)])
        : AbortSignal.timeout(waitMs + 5000),
    }).catch(() => {
      throw new ChatError('lost the emulator while waiting for notices')
    })
    const { replies } = (await res.json()) as { replies: Recorded[] }
    this.lastSeen = Math.max(this.lastSeen, ...replies.map((r) => r.id))
    return replies.filter((r) => !this.answered.has(r.id)).map(({ id, body, via }) => ({ id, body, via }))
  }

  private async waitForReply(
    session: string,
    conversationId: string,
    userId: string,
    since: number,
    signal?: AbortSignal,
  ): Promise<{ body: unknown; via: 'webhook' | 'openapi' }> {
    const q = new URLSearchParams({
      session,
      conversationId,
      userId,
      since: String(since),
      waitMs: String(this.timeoutMs),
    })
    const timeout = AbortSignal.timeout(this.timeoutMs + 2000)
    const res = await fetch(`${this.emulatorUrl}/_emulator/replies?${q}`, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }).catch(() => {
      throw new ChatError('lost the emulator while waiting for the reply')
    })
    const { replies } = (await res.json()) as { replies: Recorded[] }
    const first = replies[0]
    if (!first) throw new ChatError(`no reply within ${Math.round(this.timeoutMs / 1000)} s`)
    this.answered.add(first.id)
    return first
  }
}
