import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { EmulatorFeed, SentMessage } from './feed.js'
import type { FeedFault, FeedUser } from './feed-types.js'
import { robotTextMessage } from './messages.js'
import { postRobotCallback } from './robot-callback.js'

/** What the playground's control routes need from the emulator. */
export interface PlaygroundContext {
  readonly feed: EmulatorFeed
  /** The running bot as emulator mode knows it: `botUrl`, `clientSecret`, `robotCode`, `transports`. */
  info(): Record<string, unknown>
  /** The emulator's own base URL (session webhooks point at it). */
  baseUrl(): string
  /** Pushes a robot message through the stream gateway; throws when no bot is connected. */
  push(payload: unknown): string
  /** A robot message re-addressed as from one of ISV mode's orgs; throws for an unknown org. */
  orgMessage(payload: Record<string, unknown>, corpId: string): Record<string, unknown>
  expireSession(webhookUrl: string): void
  pendingFaults(): FeedFault[]
  clearFaults(): void
  readonly webhookAnswers: number[]
  revokeTokens(): void
  readonly stream: {
    dropAll(): number
    sendDisconnect(): string
    silence(): void
    ping(): string
    refuseHandshakes(n: number, status?: number): void
  }
}

interface SendBody {
  text?: unknown
  chat?: unknown
  via?: unknown
  user?: unknown
  mention?: unknown
}

const ID = /^[A-Za-z0-9_.@$:=-]{1,64}$/
const MAX_TEXT = 5000
/** How long a callback may take: the bot answers within 1.5 s (or says it will reply by webhook). */
const CALLBACK_TIMEOUT_MS = 15_000

function bad(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: 'bad_request', message })
}

/** The sender, checked: a staff id, a nick, admin or not, and an org (ISV mode). */
function userOf(raw: unknown): FeedUser | string {
  const u = (raw ?? {}) as Record<string, unknown>
  if (typeof u.staffId !== 'string' || !ID.test(u.staffId))
    return 'user.staffId must be 1 to 64 letters, digits or _.@-'
  if (u.nick !== undefined && (typeof u.nick !== 'string' || u.nick.length > 64))
    return 'user.nick must be a string of at most 64 characters'
  if (u.isAdmin !== undefined && typeof u.isAdmin !== 'boolean') return 'user.isAdmin must be true or false'
  if (u.corpId !== undefined && (typeof u.corpId !== 'string' || !ID.test(u.corpId)))
    return 'user.corpId must be an org id'
  return {
    staffId: u.staffId,
    nick: typeof u.nick === 'string' && u.nick.trim() ? u.nick.trim() : u.staffId,
    isAdmin: u.isAdmin === true,
    ...(typeof u.corpId === 'string' ? { corpId: u.corpId } : {}),
  }
}

/**
 * The routes only the browser playground uses: send a chat message as a user (signed by the
 * emulator, so the page never needs the secret), send one again (DingTalk's redelivery), and the
 * fault knobs that had no route yet. Emulator mode only, like the rest of `/_emulator/*`.
 */
export function registerPlaygroundRoutes(app: FastifyInstance, ctx: PlaygroundContext): void {
  const { feed } = ctx
  const info = () =>
    ctx.info() as { botUrl?: string; clientSecret?: string; robotCode?: string; transports?: string[] }

  /** Delivers a robot message to the bot as DingTalk does: answers an error body, or undefined. */
  async function deliver(
    m: SentMessage,
  ): Promise<{ status: number; error: string; message: string } | undefined> {
    const i = info()
    if (!i.transports?.includes(m.via))
      return { status: 409, error: 'transport_off', message: `the bot does not run the ${m.via} transport` }
    if (m.via === 'stream') {
      try {
        ctx.push(m.payload)
        return undefined
      } catch (err) {
        return { status: 409, error: 'no_stream', message: (err as Error).message }
      }
    }
    try {
      const answer = await postRobotCallback(
        i.botUrl ?? '',
        i.clientSecret ?? '',
        m.payload,
        CALLBACK_TIMEOUT_MS,
      )
      if (answer.status < 200 || answer.status >= 300)
        return {
          status: 502,
          error: 'bot_refused',
          message: `the bot answered the callback with HTTP ${answer.status}`,
        }
      if (answer.inline !== undefined) feed.inlineReply(m.msgId, answer.inline)
      return undefined
    } catch {
      return { status: 502, error: 'bot_unreachable', message: `the bot does not answer at ${i.botUrl}` }
    }
  }

  // {"text": "meeting 615902734", "chat": "group", "via": "http", "user": {"staffId": "user0001"}, "mention": true}
  app.post<{ Body: SendBody | undefined }>('/_emulator/chat/send', async (req, reply) => {
    const b = req.body ?? {}
    if (typeof b.text !== 'string' || !b.text.trim() || b.text.length > MAX_TEXT)
      return bad(reply, `text must be a non-empty string of at most ${MAX_TEXT} characters`)
    if (b.chat !== 'group' && b.chat !== 'single') return bad(reply, 'chat must be "group" or "single"')
    if (b.via !== 'http' && b.via !== 'stream') return bad(reply, 'via must be "http" or "stream"')
    if (b.mention !== undefined && typeof b.mention !== 'boolean')
      return bad(reply, 'mention must be true or false')
    const user = userOf(b.user)
    if (typeof user === 'string') return bad(reply, user)
    const session = `pg${randomBytes(12).toString('hex')}`
    let payload: Record<string, unknown> & { msgId: string; conversationId: string } = robotTextMessage({
      text: b.text,
      user,
      conversation: b.chat,
      sessionWebhook: `${ctx.baseUrl()}/robot/sendBySession?session=${session}`,
      robotCode: String(info().robotCode ?? ''),
    })
    if (user.corpId) {
      try {
        payload = { ...payload, ...ctx.orgMessage(payload, user.corpId) }
      } catch (err) {
        return bad(reply, (err as Error).message)
      }
    }
    // In a group DingTalk hands the robot only the messages that @-mention it.
    const delivered = b.chat === 'single' || b.mention !== false
    const m: SentMessage = {
      msgId: payload.msgId,
      session,
      conversationId: payload.conversationId,
      via: b.via,
      payload,
      sentAt: Date.now(),
    }
    if (delivered) feed.track(m)
    feed.publish({
      type: 'message',
      msgId: m.msgId,
      conversationId: m.conversationId,
      chat: b.chat,
      user,
      text: b.text,
      via: b.via,
      mention: b.chat === 'group' && b.mention !== false,
      delivered,
      at: m.sentAt,
    })
    if (!delivered) return { msgId: m.msgId, delivered }
    const failed = await deliver(m)
    if (!failed) return { msgId: m.msgId, delivered }
    feed.problem(failed.message, m)
    return reply.code(failed.status).send({ error: failed.error, message: failed.message, msgId: m.msgId })
  })

  // {"msgId": "..."}: the same message again, as DingTalk redelivers (HTTP: the callback retried;
  // Stream: a new messageId with the same data). The bot should answer it once.
  app.post<{ Body: { msgId?: unknown } | undefined }>('/_emulator/chat/redeliver', async (req, reply) => {
    const msgId = req.body?.msgId
    const m = typeof msgId === 'string' ? feed.sentMessage(msgId) : undefined
    if (!m) return reply.code(404).send({ error: 'not_found', message: 'no message sent with that msgId' })
    feed.publish({ type: 'redelivered', msgId: m.msgId, via: m.via, at: Date.now() })
    const failed = await deliver(m)
    if (!failed) return { msgId: m.msgId, redelivered: true }
    feed.problem(failed.message, m)
    return reply.code(failed.status).send({ error: failed.error, message: failed.message })
  })

  // Every session webhook the playground handed out answers 300001 from now on: replies fall back
  // to the robot OpenAPI.
  app.post('/_emulator/chat/expire-sessions', async () => {
    const ids = feed.sessionIds()
    for (const id of ids) ctx.expireSession(`${ctx.baseUrl()}/robot/sendBySession?session=${id}`)
    return { expired: ids.length }
  })

  registerKnobRoutes(app, ctx)
}

const STREAM_OPS = ['drop', 'disconnect', 'silence', 'ping', 'refuse'] as const

/** The fault knobs of emu.* that had no route: the pending faults, webhook errcodes, tokens, stream. */
function registerKnobRoutes(app: FastifyInstance, ctx: PlaygroundContext): void {
  app.get('/_emulator/faults', async () => ({
    faults: ctx.pendingFaults(),
    webhookAnswers: ctx.webhookAnswers,
  }))
  app.delete('/_emulator/faults', async () => {
    ctx.clearFaults()
    return { ok: true }
  })

  // {"errcodes": [-1, 300001]}: what the session webhook answers next, one per post.
  app.post<{ Body: { errcodes?: unknown } | undefined }>('/_emulator/webhook/answers', async (req, reply) => {
    const codes = req.body?.errcodes
    if (!Array.isArray(codes) || codes.length === 0 || codes.length > 20 || !codes.every(Number.isInteger))
      return bad(reply, 'body must be {"errcodes": [<integer>, ...]} (1 to 20 of them)')
    ctx.webhookAnswers.push(...(codes as number[]))
    return { webhookAnswers: ctx.webhookAnswers }
  })

  // Every access token issued so far is invalid: the bot's next call is refused and it fetches a new one.
  app.post('/_emulator/tokens/revoke', async () => {
    ctx.revokeTokens()
    return { ok: true }
  })

  // drop | disconnect | silence | ping, and refuse {"n": 3}: the stream connection misbehaves.
  app.post<{ Params: { op: string }; Body: { n?: unknown } | undefined }>(
    '/_emulator/stream/:op',
    async (req, reply) => {
      const op = req.params.op as (typeof STREAM_OPS)[number]
      if (!STREAM_OPS.includes(op))
        return reply.code(404).send({ error: 'not_found', message: `use ${STREAM_OPS.join(', ')}` })
      if (op === 'drop') return { dropped: ctx.stream.dropAll() }
      if (op === 'disconnect') return { messageId: ctx.stream.sendDisconnect() }
      if (op === 'ping') return { messageId: ctx.stream.ping() }
      if (op === 'silence') {
        ctx.stream.silence()
        return { ok: true }
      }
      const n = req.body?.n
      if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 100)
        return bad(reply, 'body must be {"n": <1 to 100>}')
      ctx.stream.refuseHandshakes(n as number)
      return { refusing: n }
    },
  )
}
