import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'

/** An org that has authorized (installed) the emulated ISV app. */
export interface EmulatorCorp {
  readonly name?: string
}

export interface EmulatorIsvOptions {
  readonly suiteKey: string
  readonly suiteSecret: string
  /** The suite ticket DingTalk currently accepts (none until set). */
  readonly ticket?: string
  /** DingTalk hands out org tokens for 7200 s. */
  readonly tokenTtlSeconds?: number
}

/**
 * DingTalk's side of a third-party (ISV) app: the suite key and secret, the current suite ticket
 * (`ticket`, settable: rotate it as DingTalk does) and the orgs that authorized the app (`corps`).
 * Org tokens it issued are counted per org; they are not (yet) accepted by the conference APIs.
 */
export class EmulatorIsv {
  suiteKey: string
  suiteSecret: string
  ticket: string | undefined
  readonly corps = new Map<string, EmulatorCorp>()
  /** `corpAccessToken` calls per `authCorpId`, whatever their outcome. */
  readonly calls = new Map<string, number>()
  /** Every org token issued, by org: tests check none of them reaches a log. */
  readonly issued = new Map<string, string[]>()
  /** The suite ticket each call carried, in order (for rotation tests). */
  readonly ticketsSeen: string[] = []
  readonly tokenTtlSeconds: number

  constructor(opts: EmulatorIsvOptions) {
    this.suiteKey = opts.suiteKey
    this.suiteSecret = opts.suiteSecret
    this.ticket = opts.ticket
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 7200
  }

  count(corpId: string): number {
    return this.calls.get(corpId) ?? 0
  }
}

interface RouteHooks {
  /** Counts the call as `corp.token` and plays a fault; true when the fault answered. */
  intercept(reply: FastifyReply): Promise<boolean>
  errorBody(code: string, message?: string): Record<string, string>
}

/** `POST /v1.0/oauth2/corpAccessToken` (no token header), answering as DingTalk (platform notes §11). */
export function registerIsvRoutes(app: FastifyInstance, isv: EmulatorIsv, hooks: RouteHooks): void {
  app.post<{ Body: Record<string, unknown> | null }>('/v1.0/oauth2/corpAccessToken', async (req, reply) => {
    const b = req.body ?? {}
    const corpId = typeof b.authCorpId === 'string' ? b.authCorpId : ''
    isv.calls.set(corpId, isv.count(corpId) + 1)
    if (await hooks.intercept(reply)) return reply
    if (typeof b.suiteTicket === 'string') isv.ticketsSeen.push(b.suiteTicket)
    if (b.suiteKey !== isv.suiteKey || b.suiteSecret !== isv.suiteSecret)
      return reply.code(400).send(hooks.errorBody('invalidSuiteKey', '无效的suiteKey或suiteSecret'))
    if (isv.ticket === undefined || b.suiteTicket !== isv.ticket)
      return reply.code(400).send(hooks.errorBody('invalidSuiteTicket', '无效的suiteTicket'))
    if (!isv.corps.has(corpId))
      return reply.code(400).send(hooks.errorBody('invalidAuthInfo', '企业未授权该应用'))
    const accessToken = randomBytes(16).toString('hex')
    isv.issued.set(corpId, [...(isv.issued.get(corpId) ?? []), accessToken])
    return { accessToken, expireIn: isv.tokenTtlSeconds }
  })
}
