import { randomBytes } from 'node:crypto'
import type { RobotMessagePayload } from '../../../src/dingtalk/robot-message.js'
import { signCallback } from '../../../src/dingtalk/signature.js'

/** The emulated app's id; its secret is made fresh per run (`newSecret`) and handed to each process. */
export const BENCH_CLIENT_ID = 'dingbench0000001'

export function newSecret(): string {
  return randomBytes(18).toString('base64url')
}

const RUN = randomBytes(3).toString('hex')
let seq = 0

export interface MessageSpec {
  readonly text: string
  /** The origin of the session webhook (the emulator's base URL). */
  readonly oapiBase: string
  /** Group chat unless false. */
  readonly group?: boolean
  readonly isAdmin?: boolean
  /**
   * Unique by default: one conversation and one sender per message, so the bot's per-chat pacing
   * (18 replies a minute) and per-user rate limit (BOT_USER_RATE_LIMIT) never queue a bench reply.
   */
  readonly conversationId?: string
  readonly staffId?: string
  /** The org the message comes from (`chatbotCorpId`, `senderCorpId`); default the bench's one org. */
  readonly corpId?: string
}

/** A text robot message shaped like DingTalk's, with a msgId (and session) nobody used before. */
export function robotMessage(spec: MessageSpec): RobotMessagePayload {
  const n = (++seq).toString(36)
  const id = `${RUN}${n}`
  const now = Date.now()
  const staffId = spec.staffId ?? `benchuser${id}`
  const group = spec.group ?? true
  const corpId = spec.corpId ?? 'dingcorpBench'
  return {
    msgId: `msgbench${id}`,
    msgtype: 'text',
    text: { content: group ? ` ${spec.text}` : spec.text },
    conversationId: spec.conversationId ?? `cidBench${id}==`,
    conversationType: group ? '2' : '1',
    ...(group ? { conversationTitle: 'bench group' } : {}),
    senderId: `$:LWCP_v1:$${staffId}`,
    senderNick: 'Bench',
    senderStaffId: staffId,
    senderCorpId: corpId,
    isAdmin: spec.isAdmin ?? false,
    isInAtList: true,
    chatbotCorpId: corpId,
    chatbotUserId: '$:LWCP_v1:$robotBench',
    robotCode: BENCH_CLIENT_ID,
    sessionWebhook: `${spec.oapiBase}/robot/sendBySession?session=s${id}`,
    sessionWebhookExpiredTime: now + 90 * 60_000,
    createAt: now,
    senderPlatform: 'Mac',
  } as RobotMessagePayload
}

let lastStamp = ''
let lastSign = ''

/** `timestamp` and `sign` as DingTalk sends them; the HMAC is computed once per millisecond. */
export function signedHeaders(secret: string): Record<string, string> {
  const timestamp = String(Date.now())
  if (timestamp !== lastStamp) {
    lastStamp = timestamp
    lastSign = signCallback(timestamp, secret)
  }
  return { 'content-type': 'application/json', timestamp, sign: lastSign }
}
