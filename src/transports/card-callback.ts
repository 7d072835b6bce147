import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CardActionResult, CardData, InboundCardAction } from '../core/card-action.js'
import type { TransportKind } from '../core/message.js'
import type { InboundPort } from '../core/port.js'
import { verifyCardSignature } from '../dingtalk/card-signature.js'
import type { Logger } from '../logger.js'

/**
 * How long a click's answer waits for the core. DingTalk waits 2 s for it (platform notes §10);
 * after this the answer says nothing and the click's flow goes on: the feature updates the card
 * once its work is done.
 */
export const CARD_ANSWER_MS = 1500

export const CARD_CALLBACK_PATH = '/dingtalk/card-callback'
export const CARD_CALLBACK_BODY_LIMIT = 64 * 1024

/** What DingTalk applies to the card: the Stream ack's `data` (as JSON) and the HTTP response body. */
export interface CardCallbackAnswer {
  readonly response: {
    readonly cardData?: { readonly cardParamMap: CardData }
    readonly cardUpdateOptions?: { readonly updateCardDataByKey: true }
  }
}

/** The card data to show, merged by key; no data: an empty response (the card stays as it is). */
export function cardAnswer(data?: CardData): CardCallbackAnswer {
  return data
    ? { response: { cardData: { cardParamMap: data }, cardUpdateOptions: { updateCardDataByKey: true } } }
    : { response: {} }
}

export type CardCallbackResult =
  | { readonly ok: true; readonly action: InboundCardAction }
  /** `reason` is safe to log: it names what is wrong, never what the callback says. */
  | { readonly ok: false; readonly reason: string }

/** Ids and log fields: printable ASCII without spaces, bounded. */
const ID = /^[\x21-\x7e]{1,256}$/
/** A log field, and a metrics label when some feature answers it. */
const ACTION = /^[A-Za-z0-9_.:-]{1,64}$/
const MAX_CONTENT = 16 * 1024

/**
 * A card callback's body (the Stream frame's `data`, parsed; the HTTP body) → the click the core
 * works with: `outTrackId` and `userId` are required; `content` is itself the JSON text of
 * `{cardPrivateData: {actionIds, params}}`; the action is `params.action`, else `actionIds[0]`.
 * Never throws.
 */
export function parseCardCallback(
  body: unknown,
  transport: TransportKind,
  receivedAt: number,
): CardCallbackResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('callback is not an object')
  const { outTrackId, userId, corpId, content } = body as Record<string, unknown>
  if (typeof outTrackId !== 'string' || !ID.test(outTrackId))
    return bad('callback without a usable outTrackId')
  if (typeof userId !== 'string' || !ID.test(userId)) return bad('callback without a usable userId')
  if (typeof content !== 'string' || content.length > MAX_CONTENT) return bad('callback without content')
  let parsed: unknown
  try {
    parsed = JSON.parse(content)
  } catch {
    return bad('callback content is not JSON')
  }
  const priv = isObject(parsed) ? parsed.cardPrivateData : undefined
  if (!isObject(priv)) return bad('callback content without cardPrivateData')
  const params = isObject(priv.params) ? priv.params : {}
  const ids = Array.isArray(priv.actionIds) ? priv.actionIds : []
  const action = typeof params.action === 'string' && params.action ? params.action : ids[0]
  if (typeof action !== 'string' || !ACTION.test(action)) return bad('callback without a usable action')
  return {
    ok: true,
    action: {
      id: clickId(outTrackId, userId, content),
      transport,
      receivedAt,
      outTrackId,
      corpId: typeof corpId === 'string' && ID.test(corpId) ? corpId : '',
      userId,
      action,
      params,
    },
  }
}

/**
 * The de-dup key of a click. DingTalk gives a click no id, and a re-push of an unacked frame
 * comes with a new messageId, so the key is what the click says: which card, who, which button
 * with which params. The same click pushed again, or pressed again by the same person within the
 * click window, has the same key. sha256, 22 base64url characters (132 bits): short in the ledger
 * and the logs, no collision in practice.
 */
export function clickId(outTrackId: string, userId: string, content: string): string {
  return createHash('sha256')
    .update(`${outTrackId}|${userId}|${content}`, 'utf8')
    .digest('base64url')
    .slice(0, 22)
}

/**
 * Hands the click to the core and says what to answer DingTalk, in time: the handler's data once
 * the core is through, or an empty answer after `withinMs` (the flow goes on). `done` settles
 * when the core is through, whenever that is. Never rejects.
 */
export function answerClick(
  port: Pick<InboundPort, 'cardAction'>,
  action: InboundCardAction,
  withinMs: number,
  log: Logger,
): { readonly answer: Promise<CardCallbackAnswer>; readonly done: Promise<CardActionResult> } {
  let handling: Promise<CardActionResult>
  try {
    handling = port.cardAction(action)
  } catch (err) {
    // The port promises never to throw; one that does must not take the socket or request down.
    handling = Promise.reject(err)
  }
  const done = handling.catch((err: unknown): CardActionResult => {
    log.error({ err, clickId: action.id }, 'card action handling failed')
    return { outcome: 'failed' }
  })
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), withinMs)
  })
  const answer = Promise.race([done, late]).then((result) => {
    clearTimeout(timer)
    if (result) return cardAnswer(result.data)
    log.info(
      { clickId: action.id, outTrackId: action.outTrackId, action: action.action, withinMs },
      'card click answered empty: its handler is still working',
    )
    return cardAnswer()
  })
  return { answer, done }
}

export interface CardCallbackOptions {
  readonly port: InboundPort
  /** `DINGTALK_CARD_CALLBACK_SECRET`; empty: every card callback is refused (401). */
  readonly secret: string
  readonly clock?: () => number
  /** False while shutting down: callbacks get 503. */
  readonly accepting: () => boolean
  readonly answerWithinMs?: number
}

/**
 * `POST /dingtalk/card-callback` (cards created with `callbackType: "HTTP"`): the signature is
 * verified before the body is read (a bad or missing one, or no secret configured: 401, nothing
 * runs); the body is the Stream frame's `data` object (a JSON string of it is tolerated); the
 * response is what the Stream ack carries, within `CARD_ANSWER_MS`. The signature header is never
 * logged.
 */
export function registerCardCallback(app: FastifyInstance, opts: CardCallbackOptions): void {
  const clock = opts.clock ?? Date.now
  const withinMs = opts.answerWithinMs ?? CARD_ANSWER_MS
  app.post(
    CARD_CALLBACK_PATH,
    {
      bodyLimit: CARD_CALLBACK_BODY_LIMIT,
      onRequest: (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
        if (!opts.accepting()) {
          reply.code(503).send({ error: 'shutting_down', message: 'the bot is shutting down' })
          return
        }
        const verdict = verifyCardSignature(
          {
            timestamp: req.headers['x-ddpaas-signature-timestamp'],
            signature: req.headers['x-ddpaas-signature'],
          },
          opts.secret,
          clock(),
        )
        if (!verdict.ok) {
          req.log.warn({ reason: verdict.reason, ip: req.ip }, 'card callback rejected: bad signature')
          reply.code(401).send({ error: 'unauthorized', message: verdict.reason })
          return
        }
        done()
      },
    },
    async (req, reply) => {
      const parsed = parseCardCallback(bodyObject(req.body), 'http', clock())
      if (!parsed.ok) {
        req.log.warn({ reason: parsed.reason }, 'card callback rejected: unusable body')
        return reply.code(400).send({ error: 'bad_request', message: parsed.reason })
      }
      const { answer } = answerClick(opts.port, parsed.action, withinMs, req.log as Logger)
      return reply.code(200).send(await answer)
    },
  )
}

/** The body as an object: a JSON string of one is read as that object. */
function bodyObject(body: unknown): unknown {
  if (typeof body !== 'string') return body
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function bad(reason: string): CardCallbackResult {
  return { ok: false, reason }
}
