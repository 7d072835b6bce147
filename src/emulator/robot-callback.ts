import { signCallback } from '../dingtalk/signature.js'

/** What the bot answered to a robot message POSTed to its callback. */
export interface CallbackAnswer {
  readonly status: number
  /** The reply in the HTTP body, when the bot answered inline (not `{"msgtype": "empty"}`). */
  readonly inline: unknown
  /** The whole body, for an error message. */
  readonly body: unknown
}

/**
 * POSTs a robot message to the bot's HTTP callback as DingTalk does: `timestamp` and `sign`
 * headers made with the app secret. The terminal chat and the playground both send this way.
 * Throws only when the bot cannot be reached (a refused connection, a timeout).
 */
export async function postRobotCallback(
  botUrl: string,
  secret: string,
  payload: object,
  timeoutMs: number,
): Promise<CallbackAnswer> {
  const timestamp = String(Date.now())
  const res = await fetch(`${botUrl}/dingtalk/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', timestamp, sign: signCallback(timestamp, secret) },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await res.json().catch(() => undefined)) as { msgtype?: string } | undefined
  const inline = res.ok && body && body.msgtype !== 'empty' ? body : undefined
  return { status: res.status, inline, body }
}
