import { randomBytes } from 'node:crypto'

/** The Stream gateway's wire protocol as the emulator speaks it (platform notes §3): paths, frames, records. */

export const GATEWAY_OPEN_PATH = '/v1.0/gateway/connections/open'
export const GATEWAY_CONNECT_PATH = '/connect'
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get'

/** An ack the bot sent for a pushed frame. */
export interface AckRecord {
  readonly messageId: string
  /** The messageId of the frame's first push, when this ack is for a re-push of it. */
  readonly original?: string
  readonly code: unknown
  readonly connectionId: string
  readonly at: number
  /** From the latest push of that frame to this ack; undefined when the frame is unknown. */
  readonly latencyMs: number | undefined
  readonly frame: Record<string, unknown>
}

/** The bot's answer to a SYSTEM ping. */
export interface PongRecord {
  readonly messageId: string
  readonly connectionId: string
  readonly at: number
  readonly sameData: boolean
  readonly frame: Record<string, unknown>
}

export interface ConnectionRecord {
  readonly id: string
  readonly openedAt: number
  closedAt: number | undefined
  closeCode: number | undefined
  /** Sends nothing any more, not even pongs: a half-open socket as far as the bot can tell. */
  silent: boolean
  /** What the open call that got this connection's ticket subscribed to. */
  readonly subscriptions: readonly unknown[]
}

let frameSeq = 0
/** A frame's messageId in DingTalk's shape: random, a sequence, the time. */
export function newMessageId(): string {
  frameSeq = (frameSeq + 1) % 0xfffff
  return `${randomBytes(4).toString('hex')}_${frameSeq.toString(16)}_${Date.now().toString(16)}`
}

/** A type, not an interface: it goes where a `Record<string, string>` is expected (`eventFrame`). */
export type FrameHeaders = {
  readonly appId: string
  readonly connectionId: string
  readonly contentType: 'application/json'
  readonly messageId: string
  readonly time: string
  readonly topic: string
}

export function frameHeaders(
  appId: string,
  connectionId: string,
  messageId: string,
  topic: string,
): FrameHeaders {
  return { appId, connectionId, contentType: 'application/json', messageId, time: String(Date.now()), topic }
}

/** A CALLBACK (robot message, card click) or SYSTEM (ping, disconnect) frame. */
export function frame(type: 'CALLBACK' | 'SYSTEM', headers: FrameHeaders, data: string): string {
  return JSON.stringify({ specVersion: '1.0', type, headers, data })
}

/** Whether an open call's subscriptions list CALLBACK frames of this topic. */
export function subscribesToCallback(subscriptions: readonly unknown[], topic: string): boolean {
  return subscriptions.some((s) => {
    const sub = s as { type?: unknown; topic?: unknown }
    return sub?.type === 'CALLBACK' && sub.topic === topic
  })
}

/** What is wrong with an open call's body (DingTalk's error code and message), if anything. */
export function checkOpenBody(
  body: unknown,
  app: { readonly clientId: string; readonly clientSecret: string },
): { code: string; message: string } | undefined {
  const b = (body ?? {}) as Record<string, unknown>
  if (b.clientId !== app.clientId || b.clientSecret !== app.clientSecret)
    return { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' }
  const subs = b.subscriptions
  const valid =
    Array.isArray(subs) &&
    subs.length > 0 &&
    subs.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        ['EVENT', 'CALLBACK', 'SYSTEM'].includes(String((s as Record<string, unknown>).type)) &&
        typeof (s as Record<string, unknown>).topic === 'string',
    )
  if (!valid) return { code: 'invalidParameter', message: 'subscriptions must list {type, topic}' }
  if (b.ua !== undefined && typeof b.ua !== 'string')
    return { code: 'invalidParameter', message: 'ua must be a string' }
  return undefined
}

export function errorBody(code: string, message: string) {
  return { code, message, requestid: randomBytes(8).toString('hex').toUpperCase() }
}
