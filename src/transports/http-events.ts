import { createHash, randomBytes } from 'node:crypto'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { EventOutcome, InboundEvent } from '../core/event.js'
import type { InboundPort } from '../core/port.js'
import {
  type DecryptFailure,
  decryptEvent,
  signatureMatches,
  successReply,
} from '../dingtalk/event-crypto.js'
import type { Logger } from '../logger.js'

/*
 * DingTalk's encrypted HTTP event push (platform notes §11, docs/isv.md): the signature is checked
 * before anything is decrypted, the ciphertext must decrypt to our owner key, and each event in it
 * goes to the core's port like an EVENT frame. Nothing of a push's content reaches a log line:
 * not the decrypted text, not the suite ticket, not the signature.
 */

export const EVENTS_PATH = '/dingtalk/events'
/** A SyncHTTP push may batch many entries; far above what one carries in practice. */
export const EVENTS_BODY_LIMIT = 1024 * 1024
/**
 * How long a push's answer waits for its events. DingTalk waits about 2.5 s for the answer of an
 * event push (1.2 s for check_url, which waits for nothing); past this, see `answerPush`.
 */
export const EVENT_ANSWER_MS = 2000

export interface HttpEventsOptions {
  readonly port: Pick<InboundPort, 'event' | 'busy'>
  /** `DINGTALK_EVENT_TOKEN`, `DINGTALK_EVENT_AES_KEY`, and the owner key (`DINGTALK_CLIENT_ID`). */
  readonly token: string
  readonly aesKey: string
  readonly ownerKey: string
  readonly clock?: () => number
  /** False while shutting down: pushes get 503 (DingTalk pushes again). */
  readonly accepting: () => boolean
  readonly answerWithinMs?: number
}

/** What a decrypted push holds. `skipped` are entries we could not use: reasons, never content. */
export type PushBody =
  | { readonly kind: 'check_url' }
  | { readonly kind: 'events'; readonly events: InboundEvent[]; readonly skipped: string[] }

/** Ledger keys and log fields, as over Stream (frames.ts). */
const ID = /^[\x21-\x7e]{1,128}$/
/** A log field and a metrics label. */
const TYPE = /^[A-Za-z0-9_.:-]{1,64}$/
const SYNC_PUSH = new Set(['SYNC_HTTP_PUSH_HIGH', 'SYNC_HTTP_PUSH_MEDIUM'])
const REFUSALS: Record<DecryptFailure, string> = {
  bad_base64: 'encrypt is not base64',
  bad_length: 'encrypt is not whole 32-byte blocks',
  bad_padding: 'does not decrypt (bad padding: another key?)',
  bad_frame: 'does not decrypt (bad length field: another key?)',
  bad_text: 'does not decrypt to text',
  wrong_owner: 'does not decrypt to our key',
}

/** A stable id for what DingTalk gives no id: the same text pushed again has the same one. */
function contentId(parts: readonly unknown[]): string {
  return `push:${createHash('sha256').update(JSON.stringify(parts), 'utf8').digest('base64url').slice(0, 22)}`
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function firstString(o: Record<string, unknown>, keys: readonly string[], re: RegExp): string | undefined {
  for (const k of keys) {
    const v = o[k]
    if (typeof v === 'string' && re.test(v)) return v
  }
  return undefined
}

/** Epoch ms from `TimeStamp` and the like; seconds or anything odd: when it arrived. */
function bornAt(o: Record<string, unknown>, receivedAt: number): number {
  for (const k of ['TimeStamp', 'timeStamp', 'timestamp', 'eventBornTime']) {
    const n = typeof o[k] === 'string' && /^\d{13,15}$/.test(o[k] as string) ? Number(o[k]) : o[k]
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1e12) return n
  }
  return receivedAt
}

/**
 * One SyncHTTP entry `{biz_type, corp_id, biz_data}` → an event named by `biz_data`'s
 * `syncAction`. The id hashes what the entry says (DingTalk's own entry `id` is not documented as
 * stable across re-pushes). `suite_ticket` carries `{suiteTicket}` only; others the parsed biz_data.
 */
function syncEntry(entry: unknown, receivedAt: number): InboundEvent | string {
  if (!isObject(entry)) return 'bizData entry is not an object'
  const { biz_type: bizType, corp_id: corp } = entry
  const raw = typeof entry.biz_data === 'string' ? entry.biz_data : JSON.stringify(entry.biz_data ?? null)
  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch {
    return 'biz_data is not JSON'
  }
  if (!isObject(data)) return 'biz_data is not an object'
  const type = data.syncAction
  if (typeof type !== 'string' || !TYPE.test(type)) return 'biz_data without a usable syncAction'
  const corpId = typeof corp === 'string' && ID.test(corp) ? corp : ''
  let payload: unknown = data
  if (type === 'suite_ticket') {
    if (typeof data.suiteTicket !== 'string' || !data.suiteTicket) return 'suite_ticket without suiteTicket'
    payload = { suiteTicket: data.suiteTicket }
  }
  return {
    id: contentId([corpId, bizType ?? null, raw]),
    type,
    corpId,
    bornAt: receivedAt,
    receivedAt,
    transport: 'http',
    data: payload,
  }
}

/**
 * A decrypted push → what it holds: the `check_url` challenge; the entries of a SyncHTTP push
 * (`SYNC_HTTP_PUSH_HIGH`/`_MEDIUM`), one event each; or one new-style event `{EventType, ...}`
 * whose data is the whole body (id `EventId`/`eventId`, else a hash of the text; corp `CorpId`/
 * `corpId`, else empty as over Stream: the configuration names no corp). Never throws.
 */
export function parsePushBody(text: string, receivedAt: number): PushBody {
  const none = (reason: string): PushBody => ({ kind: 'events', events: [], skipped: [reason] })
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return none('decrypted push is not JSON')
  }
  if (!isObject(body)) return none('decrypted push is not an object')
  const type = body.EventType ?? body.eventType
  if (type === 'check_url') return { kind: 'check_url' }
  if (typeof type !== 'string' || !TYPE.test(type)) return none('push without a usable EventType')
  if (SYNC_PUSH.has(type)) {
    if (!Array.isArray(body.bizData)) return none(`${type} without bizData`)
    const events: InboundEvent[] = []
    const skipped: string[] = []
    for (const entry of body.bizData) {
      const e = syncEntry(entry, receivedAt)
      if (typeof e === 'string') skipped.push(e)
      else events.push(e)
    }
    return { kind: 'events', events, skipped }
  }
  const event: InboundEvent = {
    id: firstString(body, ['EventId', 'eventId'], ID) ?? contentId([text]),
    type,
    corpId: firstString(body, ['CorpId', 'corpId'], ID) ?? '',
    bornAt: bornAt(body, receivedAt),
    receivedAt,
    transport: 'http',
    data: body,
  }
  return { kind: 'events', events: [event], skipped: [] }
}

/** How a push's events went, once they are through or the wait is over. */
export interface PushVerdict {
  /** 200 with the encrypted success, or 500 (DingTalk pushes again). */
  readonly ok: boolean
  readonly outcomes: Record<EventOutcome | 'pending', number>
}

/**
 * Hands every event to the core and decides the answer. A `failed` event answers 500 so that
 * DingTalk pushes the push again (our reading of "not success": not confirmed by DingTalk's
 * docs); the events handled already are duplicates then. At `withinMs` the answer goes with what
 * is known: success unless one failed so far. The events still running hold their de-dup claims
 * and finish in the core; a failure after the answer is logged with its ref, not pushed again
 * (events are an accelerator: watches poll too). Waiting longer would lose the answer anyway.
 */
export async function answerPush(
  port: Pick<InboundPort, 'event'>,
  events: readonly InboundEvent[],
  withinMs: number,
  log: Logger,
): Promise<PushVerdict> {
  const outcomes: Record<EventOutcome | 'pending', number> = {
    handled: 0,
    duplicate: 0,
    ignored: 0,
    failed: 0,
    pending: events.length,
  }
  const all = events.map((evt) => {
    let handling: Promise<EventOutcome>
    try {
      handling = port.event(evt)
    } catch (err) {
      // The port promises never to throw; one that does must not take the request down.
      handling = Promise.reject(err)
    }
    return handling
      .catch((err: unknown): EventOutcome => {
        log.error({ err, eventId: evt.id }, 'event handling failed')
        return 'failed'
      })
      .then((outcome) => {
        outcomes.pending--
        outcomes[outcome]++
      })
  })
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, withinMs)
  })
  await Promise.race([Promise.all(all), late])
  clearTimeout(timer)
  return { ok: outcomes.failed === 0, outcomes: { ...outcomes } }
}

const first = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined

/** `{encrypt}` from the body (a JSON string of it is tolerated). */
function encryptOf(body: unknown): string | undefined {
  let b = body
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b)
    } catch {
      return undefined
    }
  }
  return isObject(b) && typeof b.encrypt === 'string' && b.encrypt ? b.encrypt : undefined
}

/**
 * `POST /dingtalk/events`. In order: the signature over (token, timestamp, nonce, encrypt) from
 * the query (`msg_signature` or `signature`, `timestamp`, `nonce`) and the body (`{encrypt}`):
 * bad or missing → 401, nothing decrypted; shutting down or too busy → 503; the ciphertext must
 * decrypt to our owner key, else 400 (refused, nothing runs); then check_url or the events.
 * Errors of this route are logged without its URL (the query carries the signature).
 */
export function registerHttpEvents(app: FastifyInstance, opts: HttpEventsOptions): void {
  const clock = opts.clock ?? Date.now
  const withinMs = opts.answerWithinMs ?? EVENT_ANSWER_MS
  const keys = { token: opts.token, aesKey: opts.aesKey, ownerKey: opts.ownerKey }
  const reply200 = (reply: FastifyReply) =>
    reply.code(200).send(successReply(keys, String(clock()), randomBytes(6).toString('hex')))
  app.post(
    EVENTS_PATH,
    {
      bodyLimit: EVENTS_BODY_LIMIT,
      errorHandler: (err: FastifyError, req, reply) => {
        const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
        req.log[status >= 500 ? 'error' : 'info']({ status, code: err.code }, 'event push rejected')
        void reply.code(status).send({ error: err.code ?? 'bad_request', message: 'unusable event push' })
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const started = performance.now()
      const log = req.log as Logger
      const q = (req.query ?? {}) as Record<string, unknown>
      const signature = first(q.msg_signature) ?? first(q.signature)
      const timestamp = first(q.timestamp) ?? first(q.timeStamp)
      const nonce = first(q.nonce)
      const encrypt = encryptOf(req.body)
      if (!signature || !timestamp || !nonce || !encrypt) {
        log.warn({ ip: req.ip }, 'event push rejected: no signature, timestamp, nonce or encrypt')
        return reply
          .code(401)
          .send({ error: 'unauthorized', message: 'signature, timestamp, nonce and encrypt required' })
      }
      if (!signatureMatches(signature, opts.token, timestamp, nonce, encrypt)) {
        log.warn({ ip: req.ip }, 'event push rejected: bad signature')
        return reply.code(401).send({ error: 'unauthorized', message: 'signature does not match' })
      }
      if (!opts.accepting())
        return reply.code(503).send({ error: 'shutting_down', message: 'the bot is shutting down' })
      if (opts.port.busy())
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({ error: 'busy', message: 'too much in flight' })
      const plain = decryptEvent(encrypt, keys)
      if (!plain.ok) {
        log.warn({ reason: plain.reason, ip: req.ip }, 'event push refused: does not decrypt to our key')
        return reply.code(400).send({ error: 'refused', message: REFUSALS[plain.reason] })
      }
      const push = parsePushBody(plain.message, clock())
      if (push.kind === 'check_url') {
        log.info('event push: check_url answered')
        return reply200(reply)
      }
      // Unusable entries are answered like a bad EVENT frame: pushed again they would be no better.
      if (push.skipped.length > 0) log.warn({ skipped: push.skipped }, 'event push: entries skipped')
      const verdict = await answerPush(opts.port, push.events, withinMs, log)
      const line = {
        events: push.events.length,
        eventIds: push.events.slice(0, 20).map((e) => e.id),
        outcomes: verdict.outcomes,
        status: verdict.ok ? 200 : 500,
        durationMs: Math.round(performance.now() - started),
      }
      if (verdict.outcomes.pending > 0) log.warn(line, 'event push answered before its events were through')
      else log.info(line, 'event push answered')
      if (!verdict.ok)
        return reply.code(500).send({ error: 'event_failed', message: 'an event could not be handled' })
      return reply200(reply)
    },
  )
}
