import type { DWClientDownStream } from 'dingtalk-stream'
import type { InboundEvent } from '../../core/event.js'
import type { InboundMessage } from '../../core/message.js'
import { assertRobotMessage, InvalidRobotMessage, toInboundMessage } from '../../dingtalk/robot-message.js'
import { type CardCallbackResult, parseCardCallback } from '../card-callback.js'

/** A robot frame's `data` made into a message, or why it could not be. */
export type RobotFrameResult =
  | { readonly ok: true; readonly message: InboundMessage }
  /** `reason` is safe to log: it names what is wrong, never what the frame says. */
  | { readonly ok: false; readonly reason: string }

/**
 * One WebSocket message → a stream frame (`type` and `headers` checked, nothing else), or the
 * reason it is not one as a string. Runs on the ack path: no allocation beyond `JSON.parse`.
 */
export function parseStreamFrame(text: string): DWClientDownStream | string {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return `not JSON (${text.length} bytes)`
  }
  if (typeof frame !== 'object' || frame === null) return 'not a stream frame'
  const f = frame as { type?: unknown; headers?: unknown }
  const ok = typeof f.type === 'string' && typeof f.headers === 'object' && f.headers !== null
  return ok ? (frame as DWClientDownStream) : 'not a stream frame'
}

/** The reply to a frame (its ack), as the SDK's `send` builds it: `value` goes into `data` as JSON. */
export function replyFrame(messageId: string, value: unknown): string {
  return JSON.stringify({
    code: 200,
    headers: { contentType: 'application/json', messageId },
    message: 'OK',
    data: JSON.stringify(value),
  })
}

/**
 * The `data` string of a robot CALLBACK frame (the JSON of platform notes §1) → the message the
 * core works with. Validated with the same schema as the HTTP callback; never throws.
 */
export function parseRobotFrame(data: string, receivedAt: number): RobotFrameResult {
  let payload: unknown
  try {
    payload = JSON.parse(data)
    assertRobotMessage(payload)
  } catch (err) {
    // JSON.parse's message quotes the input: only the schema's reason is content-free.
    return { ok: false, reason: err instanceof InvalidRobotMessage ? err.reason : 'data is not JSON' }
  }
  return { ok: true, message: toInboundMessage(payload, 'stream', receivedAt) }
}

/** An EVENT frame made into the event the core works with, or why it could not be. */
export type EventFrameResult =
  | { readonly ok: true; readonly event: InboundEvent }
  /** `reason` is safe to log: it names what is wrong, never what the frame says. */
  | { readonly ok: false; readonly reason: string }

/** An `eventId` is a ledger key and a log field: printable ASCII without spaces, bounded. */
const EVENT_ID = /^[\x21-\x7e]{1,128}$/
/** An `eventType` is a log field and (when a feature handles it) a metrics label. */
const EVENT_TYPE = /^[A-Za-z0-9_.:-]{1,64}$/
const EPOCH_MS = /^\d{1,15}$/

/**
 * An EVENT frame (platform notes §8) → the event the core works with: `eventId` and `eventType`
 * are required, `data` must be the JSON text of an object; a missing or odd `eventCorpId` reads
 * as empty, a missing or odd `eventBornTime` as the time it arrived. Never throws.
 */
export function parseEventFrame(frame: DWClientDownStream, receivedAt: number): EventFrameResult {
  const h = frame.headers as Record<string, unknown>
  const { eventId, eventType, eventCorpId, eventBornTime } = h
  if (typeof eventId !== 'string' || !EVENT_ID.test(eventId))
    return bad('EVENT frame without a usable eventId')
  if (typeof eventType !== 'string' || !EVENT_TYPE.test(eventType))
    return bad('EVENT frame without a usable eventType')
  if (typeof frame.data !== 'string') return bad('EVENT frame without data')
  let data: unknown
  try {
    data = JSON.parse(frame.data)
  } catch {
    return bad('EVENT data is not JSON')
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return bad('EVENT data is not an object')
  const born =
    typeof eventBornTime === 'string' && EPOCH_MS.test(eventBornTime) ? Number(eventBornTime) : receivedAt
  const corpId = typeof eventCorpId === 'string' && EVENT_ID.test(eventCorpId) ? eventCorpId : ''
  return {
    ok: true,
    event: { id: eventId, type: eventType, corpId, bornAt: born, receivedAt, transport: 'stream', data },
  }
}

function bad(reason: string): EventFrameResult {
  return { ok: false, reason }
}

/**
 * The `data` of a CALLBACK frame on the card topic (platform notes §10: the JSON text of the
 * callback object, the same object the HTTP card callback gets as its body) → the click the core
 * works with (`parseCardCallback`), or why not. Never throws.
 */
export function parseCardFrame(data: unknown, receivedAt: number): CardCallbackResult {
  if (typeof data !== 'string') return { ok: false, reason: 'card CALLBACK frame without data' }
  let body: unknown
  try {
    body = JSON.parse(data)
  } catch {
    return { ok: false, reason: 'card CALLBACK data is not JSON' }
  }
  return parseCardCallback(body, 'stream', receivedAt)
}

/** Strips what must never reach a log line: the ticket and anything after it. */
export function sanitize(text: string): string {
  return text.replace(/ticket=[^&\s"']*/gi, 'ticket=[redacted]')
}
