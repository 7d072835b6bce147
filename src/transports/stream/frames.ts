import type { InboundMessage } from '../../core/message.js'
import { assertRobotMessage, InvalidRobotMessage, toInboundMessage } from '../../dingtalk/robot-message.js'

/** A robot frame's `data` made into a message, or why it could not be. */
export type RobotFrameResult =
  | { readonly ok: true; readonly message: InboundMessage }
  /** `reason` is safe to log: it names what is wrong, never what the frame says. */
  | { readonly ok: false; readonly reason: string }

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
