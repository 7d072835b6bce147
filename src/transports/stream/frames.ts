import type { DWClientDownStream } from 'dingtalk-stream'
import type { InboundMessage } from '../../core/message.js'
import { assertRobotMessage, InvalidRobotMessage, toInboundMessage } from '../../dingtalk/robot-message.js'

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

/** Strips what must never reach a log line: the ticket and anything after it. */
export function sanitize(text: string): string {
  return text.replace(/ticket=[^&\s"']*/gi, 'ticket=[redacted]')
}
