import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import type { ApiName } from '../dingtalk/errors.js'
import { EmulatorCards, registerCardRoutes } from './cards.js'
import { registerConferenceApi } from './conference-api.js'
import { FAULT_TARGETS, registerControlRoutes } from './control.js'
import { EventPush } from './event-push.js'
import { MeetingEvents } from './events.js'
import type { EmulatorFeed } from './feed.js'
import { StreamGateway, type StreamGatewayOptions } from './gateway.js'
import { type ApiAccess, EmulatorIsv, type EmulatorIsvOptions, registerIsvRoutes } from './isv.js'
import type { EmulatorMeeting } from './meetings.js'
import { attachPlayground } from './playground.js'
import { EmulatorClock, Timeline } from './timeline.js'
import type { Fault, RecordedReply } from './types.js'

export interface EmulatorOptions {
  clientId: string
  clientSecret: string
  meetings: EmulatorMeeting[]
  /** DingTalk hands out tokens for 7200 s. */
  tokenTtlSeconds?: number
  host?: string
  port?: number
  /** Real time for the emulator's clock (default `Date.now`); `clock.advance` adds to it. */
  now?: () => number
  /** Knobs of the stream gateway (ticket lifetime, re-push delay, pings, events on or off...). */
  stream?: Omit<StreamGatewayOptions, 'clientId' | 'clientSecret'>
  /**
   * Serve HTTPS (and the stream over wss) with this key and certificate, as DingTalk does; the bot
   * must trust the certificate (NODE_EXTRA_CA_CERTS). Tests of the path through a proxy use it.
   */
  tls?: { key: string | Buffer; cert: string | Buffer }
  /** Serve `/_emulator/*` for the terminal chat (emulator mode); `info` says where the bot is. */
  control?: { info(): Record<string, unknown> }
  /**
   * Where clicks on HTTP-callback cards are POSTed (also `emu.cards.callbackUrl`, settable once the
   * bot listens). Default: `${info().botUrl}/dingtalk/card-callback` when the control API is on.
   */
  cardCallbackUrl?: string
  /** Signs HTTP card callbacks (`x-ddpaas-signature`); default the client secret. */
  cardCallbackSecret?: string
  /** A button press gives up after this long without an answer (default 10 s). */
  cardPressTimeoutMs?: number
  /**
   * The ISV side (`corpAccessToken`): suite key and secret default to the client id and secret.
   * With `orgs` it is ISV mode (docs/emulator.md): `meetings` is then ignored, each org has its own.
   */
  isv?: Partial<EmulatorIsvOptions>
}

type WebhookName = 'webhook'
type FaultTarget = ApiName | WebhookName

const ERROR_MESSAGES: Record<string, string> = {
  InvalidAuthentication: '不合法的access_token',
  noPermission: 'NO PERMISSION',
  roomNotFound: 'ROOM NOT FOUND',
  invalidRoomCode: 'INVALID ROOM CODE',
  invalidClientIdOrSecret: '无效的clientId或者clientSecret',
}

/**
 * The project's DingTalk: token, conference and robot-send OpenAPIs, and the session-webhook sink,
 * on one loopback HTTP server. Tests, benchmarks and emulator mode all use it. Knobs: `fail()` to
 * inject faults, `webhookAnswers` to script webhook errcodes, counters and recorded replies.
 */
export class DingTalkEmulator {
  readonly app: FastifyInstance
  meetings: EmulatorMeeting[]
  /** Upstream calls by API, whatever their outcome. */
  readonly calls: Record<string, number> = {}
  readonly replies: RecordedReply[] = []
  /** Errcodes the webhook answers next, one per post (then 0). */
  readonly webhookAnswers: number[] = []
  /** The Stream-mode gateway: open endpoint and WebSocket server on the same port. */
  readonly stream: StreamGateway
  /** The emulated meetings' time: real time plus what `clock.advance(ms)` added. */
  readonly clock: EmulatorClock
  /** The timeline's changes as EVENT frames; hold, release, duplicate for tests. */
  readonly events: MeetingEvents
  /** Start, end, join, leave: the meetings change, and EVENT frames say so. */
  readonly timeline: Timeline
  /** Interactive card instances, their updates, and button presses (`press`). */
  readonly cards: EmulatorCards
  /** DingTalk's encrypted HTTP event push to a bot URL (`send`, `checkUrl`): docs/isv.md. */
  readonly eventPush = new EventPush()
  /** A third-party app's suite ticket, authorized orgs and their tokens: docs/isv.md. */
  readonly isv: EmulatorIsv
  /** The browser playground's event stream (with the control API): docs/playground.md. */
  readonly feed: EmulatorFeed | undefined
  private readonly faults = new Map<FaultTarget, Fault[]>()
  private readonly tokens = new Set<string>()
  /** Every access token ever issued, revoked or not: tests check none of them reaches a log. */
  readonly issuedTokens: string[] = []
  private readonly expiredSessions = new Set<string>()
  private readonly sessionCorps = new Map<string, string>()
  private waiters: Array<() => void> = []
  private lastReplyId = 0
  private url = ''

  private constructor(readonly opts: EmulatorOptions) {
    this.meetings = opts.meetings
    this.clock = new EmulatorClock(opts.now)
    // Force-close on close(): a client may hold a socket it never sent a request on (an aborted
    // gateway call), which Node counts as busy until headersTimeout, stalling close() for a minute.
    const server = { logger: false, keepAliveTimeout: 60_000, forceCloseConnections: true } as const
    // Fastify's type follows the server kind; the emulator only needs what both kinds share.
    this.app = (opts.tls
      ? Fastify({ ...server, https: opts.tls })
      : Fastify(server)) as unknown as FastifyInstance
    this.routes()
    this.stream = new StreamGateway(this.app, (reply) => this.intercept('gateway.open', reply), {
      ...opts.stream,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
    })
    this.events = new MeetingEvents(
      this.stream,
      () => this.clock.now(),
      (m) => this.isv.corpOf(m),
    )
    const ports = { events: this.events, stream: this.stream, eventPush: this.eventPush, clock: this.clock }
    this.isv = new EmulatorIsv(
      { suiteKey: opts.clientId, suiteSecret: opts.clientSecret, ...opts.isv },
      ports,
    )
    registerIsvRoutes(this.app, this.isv, {
      intercept: (reply) => this.intercept('corp.token', reply),
      errorBody: (code, message) => this.errorBody(code, message),
    })
    if (this.isv.enabled) this.meetings = this.isv.meetings
    this.timeline = this.isv.enabled
      ? this.isv.timelines.routing
      : new Timeline(() => this.meetings, this.clock, this.events)
    const control = opts.control
    this.cards = new EmulatorCards({
      stream: this.stream,
      corpId: opts.stream?.corpId ?? 'dingcorpEmulator',
      secret: opts.cardCallbackSecret ?? opts.clientSecret,
      timeoutMs: opts.cardPressTimeoutMs ?? 10_000,
      defaultCallbackUrl: () => {
        const botUrl = control?.info().botUrl
        return typeof botUrl === 'string' && botUrl ? `${botUrl}/dingtalk/card-callback` : undefined
      },
    })
    this.cards.callbackUrl = opts.cardCallbackUrl
    registerCardRoutes(this.app, this.cards, {
      intercept: (target, reply) => this.intercept(target, reply),
      access: (token, reply) => this.access(token, reply),
      errorBody: (code, message) => this.errorBody(code, message),
    })
    if (control) {
      const isv = this.isv
      registerControlRoutes(this.app, {
        info: () => ({
          ...control.info(),
          // The emulator's own view: what the timeline did shows at once.
          meetings: this.meetings.map((m) => ({
            roomCode: m.roomCode,
            title: m.title,
            status: m.status,
            startTime: m.startTime,
            activeNum: m.activeNum ?? 0,
            ...(isv.enabled ? { corpId: isv.corpOf(m) } : {}),
          })),
          now: this.clock.now(),
          eventsEnabled: this.stream.eventsEnabled,
          ...(isv.enabled ? { orgs: isv.info(), robotCode: isv.robotCode } : {}),
        }),
        replies: () => this.replies,
        push: (p, corpId) =>
          this.stream.push(corpId === undefined ? p : isv.orgMessage(p as Record<string, unknown>, corpId)),
        timelineFor: (corpId) => (corpId === undefined ? this.timeline : isv.timeline(corpId)),
        fail: (target, fault) => this.fail(target as FaultTarget, fault),
        timeline: this.timeline,
        cards: this.cards,
        setEvents: (enabled) => this.stream.setEvents(enabled),
      })
      this.feed = attachPlayground(this.app, {
        info: () => control.info(),
        baseUrl: () => this.url,
        push: (p) => this.stream.push(p),
        orgMessage: (p, corpId) => isv.orgMessage(p, corpId),
        expireSession: (url) => this.expireSession(url),
        pendingFaults: () =>
          [...this.faults].flatMap(([target, list]) =>
            list.map((fault) => ({ target, fault: { ...fault } })),
          ),
        clearFaults: () => this.clearFaults(),
        webhookAnswers: this.webhookAnswers,
        revokeTokens: () => this.revokeTokens(),
        stream: this.stream,
        cards: this.cards,
        clock: this.clock,
        meetings: () => this.meetings,
        eventsEnabled: () => this.stream.eventsEnabled,
        faultTargets: FAULT_TARGETS,
        orgs: () =>
          isv.enabled ? isv.info().map((o) => ({ corpId: String(o.corpId), name: String(o.name) })) : [],
        streamConnections: () => this.stream.openSockets,
      })
    }
  }

  static async start(opts: EmulatorOptions): Promise<DingTalkEmulator> {
    const emu = new DingTalkEmulator(opts)
    await emu.app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 })
    const addr = emu.app.server.address()
    if (!addr || typeof addr === 'string') throw new Error('emulator has no TCP address')
    emu.url = `${opts.tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
    return emu
  }

  /** Base URL for `DINGTALK_API_BASE` and `DINGTALK_OAPI_BASE`. */
  get baseUrl(): string {
    return this.url
  }

  /** A fresh session webhook URL, as DingTalk puts into each robot message; replies to it record the org. */
  newSessionWebhook(corpId?: string): string {
    const session = randomBytes(12).toString('hex')
    if (corpId) this.sessionCorps.set(session, corpId)
    return `${this.url}/robot/sendBySession?session=${session}`
  }

  expireSession(webhookUrl: string): void {
    this.expiredSessions.add(new URL(webhookUrl).searchParams.get('session') ?? '')
  }

  fail(target: FaultTarget, fault: Fault): void {
    const list = this.faults.get(target) ?? []
    list.push({ times: 1, ...fault })
    this.faults.set(target, list)
  }

  clearFaults(): void {
    this.faults.clear()
    this.webhookAnswers.length = 0
    this.cards.clearNextDeliver()
  }

  /** Makes every token issued so far invalid (DingTalk rotated them). */
  revokeTokens(): void {
    this.tokens.clear()
    this.isv.revokeTokens()
  }

  count(api: FaultTarget): number {
    return this.calls[api] ?? 0
  }

  resetCounters(): void {
    for (const k of Object.keys(this.calls)) delete this.calls[k]
    this.replies.length = 0
    this.isv.resetCounters()
  }

  /** Resolves once at least `n` replies have been recorded. */
  async waitForReplies(n: number, timeoutMs = 5000): Promise<RecordedReply[]> {
    const deadline = Date.now() + timeoutMs
    while (this.replies.length < n) {
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(`expected ${n} replies, got ${this.replies.length} after ${timeoutMs} ms`)
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(Math.min(left, 50))])
    }
    return this.replies.slice(0, n)
  }

  async close(): Promise<void> {
    this.feed?.close()
    this.stream.close()
    this.cards.close()
    await this.app.close()
  }

  private record(reply: Omit<RecordedReply, 'at' | 'id'>): void {
    const recorded = { ...reply, id: ++this.lastReplyId, at: Date.now() }
    this.replies.push(recorded)
    this.feed?.reply(recorded)
    const w = this.waiters
    this.waiters = []
    for (const resolve of w) resolve()
  }

  /** Counts the call and plays the next fault, if any. Returns true when a fault answered. */
  private async intercept(target: FaultTarget, reply: FastifyReply): Promise<boolean> {
    this.calls[target] = (this.calls[target] ?? 0) + 1
    this.feed?.call(target)
    this.isv.noteCall(target, reply.request.headers['x-acs-dingtalk-access-token'])
    const list = this.faults.get(target)
    const fault = list?.[0]
    if (!fault || !list) return false
    fault.times = (fault.times ?? 1) - 1
    if (fault.times <= 0) list.shift()
    if (fault.delayMs) await sleep(fault.delayMs)
    if (fault.reset) {
      reply.raw.socket?.destroy()
      return true
    }
    if (fault.html) {
      void reply
        .code(fault.status ?? 503)
        .type('text/html')
        .send('<html><body>Service Unavailable</body></html>')
      return true
    }
    if (fault.status === undefined) return false
    void reply.code(fault.status).send(this.errorBody(fault.code ?? 'systemError', fault.message))
    return true
  }

  private errorBody(code: string, message?: string) {
    return {
      code,
      message: message ?? ERROR_MESSAGES[code] ?? code,
      requestid: randomBytes(8).toString('hex').toUpperCase(),
    }
  }

  /**
   * Whose data the token opens: the app's (internal mode) or its org's (ISV mode, where app tokens
   * open nothing). Anything else is answered 400 InvalidAuthentication, as DingTalk does.
   */
  private access(token: unknown, reply: FastifyReply): ApiAccess | undefined {
    const found = this.isv.enabled
      ? this.isv.access(token)
      : typeof token === 'string' && this.tokens.has(token)
        ? { meetings: this.meetings, robotCode: this.opts.clientId }
        : undefined
    if (!found) void reply.code(400).send(this.errorBody('InvalidAuthentication'))
    return found
  }

  private routes(): void {
    const app = this.app
    app.post<{ Body: { appKey?: string; appSecret?: string } }>(
      '/v1.0/oauth2/accessToken',
      async (req, reply) => {
        if (await this.intercept('token', reply)) return reply
        const { appKey, appSecret } = req.body ?? {}
        if (appKey !== this.opts.clientId || appSecret !== this.opts.clientSecret) {
          return reply.code(400).send(this.errorBody('invalidClientIdOrSecret'))
        }
        const accessToken = randomBytes(16).toString('hex')
        this.tokens.add(accessToken)
        this.issuedTokens.push(accessToken)
        return { accessToken, expireIn: this.opts.tokenTtlSeconds ?? 7200 }
      },
    )

    registerConferenceApi(app, {
      intercept: (api, reply) => this.intercept(api, reply),
      access: (req, reply) => this.access(req.headers['x-acs-dingtalk-access-token'], reply),
      errorBody: (code) => this.errorBody(code),
      now: () => this.clock.now(),
    })

    const robotSend =
      (api: 'robot.groupSend' | 'robot.otoSend') =>
      async (req: { headers: Record<string, unknown>; body: unknown }, reply: FastifyReply) => {
        if (await this.intercept(api, reply)) return reply
        const scope = this.access(req.headers['x-acs-dingtalk-access-token'], reply)
        if (!scope) return reply
        const b = (req.body ?? {}) as {
          robotCode?: string
          openConversationId?: string
          userIds?: string[]
          msgKey?: string
          msgParam?: string
        }
        let param: unknown
        try {
          param = JSON.parse(b.msgParam ?? '')
        } catch {
          return reply.code(400).send(this.errorBody('invalidParameter.msgParam'))
        }
        if (b.robotCode !== scope.robotCode || !b.msgKey)
          return reply.code(400).send(this.errorBody('invalidParameter.robotCode'))
        this.record({
          via: 'openapi',
          ...(scope.corpId ? { corpId: scope.corpId } : {}),
          ...(b.openConversationId ? { conversationId: b.openConversationId } : {}),
          ...(b.userIds ? { userIds: b.userIds } : {}),
          body: { msgKey: b.msgKey, msgParam: param },
        })
        return { processQueryKey: randomBytes(8).toString('hex') }
      }
    app.post('/v1.0/robot/groupMessages/send', robotSend('robot.groupSend'))
    app.post('/v1.0/robot/oToMessages/batchSend', robotSend('robot.otoSend'))

    app.post<{ Querystring: { session?: string }; Body: Record<string, unknown> }>(
      '/robot/sendBySession',
      async (req, reply) => {
        if (await this.intercept('webhook', reply)) return reply
        const session = req.query.session ?? ''
        if (!session || this.expiredSessions.has(session))
          return { errcode: 300001, errmsg: 'session 不存在' }
        const errcode = this.webhookAnswers.shift() ?? 0
        if (errcode !== 0) return { errcode, errmsg: errcode === -1 ? '系统繁忙' : 'send too fast' }
        const corpId = this.sessionCorps.get(session)
        this.record({ via: 'webhook', session, ...(corpId ? { corpId } : {}), body: req.body })
        return { errcode: 0, errmsg: 'ok' }
      },
    )
  }
}
