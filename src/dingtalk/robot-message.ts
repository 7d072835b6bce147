import { Ajv } from 'ajv'
import type { InboundContent, InboundMessage, TransportKind } from '../core/message.js'

/**
 * JSON schema of the robot message DingTalk delivers over both transports (platform notes §1).
 * The HTTP route hands it to Fastify; the stream transport validates with the same schema here.
 * Extra fields (hostingContext, conversationMsgContext, ...) are allowed and ignored.
 */
export const robotMessageSchema = {
  type: 'object',
  required: ['msgId', 'msgtype', 'conversationId', 'conversationType', 'sessionWebhook', 'senderId'],
  properties: {
    msgId: { type: 'string', minLength: 1, maxLength: 256 },
    msgtype: { type: 'string', minLength: 1, maxLength: 64 },
    conversationId: { type: 'string', minLength: 1, maxLength: 256 },
    conversationType: { type: 'string', enum: ['1', '2'] },
    conversationTitle: { type: 'string' },
    senderId: { type: 'string', maxLength: 256 },
    senderNick: { type: 'string' },
    senderStaffId: { type: 'string' },
    isAdmin: { type: 'boolean' },
    robotCode: { type: 'string' },
    chatbotCorpId: { type: 'string', maxLength: 128 },
    senderUnionId: { type: 'string', maxLength: 128 },
    sessionWebhook: { type: 'string', minLength: 1, maxLength: 2048 },
    sessionWebhookExpiredTime: { anyOf: [{ type: 'number' }, { type: 'string' }] },
    createAt: { anyOf: [{ type: 'number' }, { type: 'string' }] },
    text: { type: 'object', properties: { content: { type: 'string' } } },
    content: { type: 'object' },
    errorMessage: { type: 'object' },
  },
} as const

export interface RobotMessagePayload {
  msgId: string
  msgtype: string
  conversationId: string
  conversationType: '1' | '2'
  conversationTitle?: string
  senderId: string
  senderNick?: string
  senderStaffId?: string
  isAdmin?: boolean
  robotCode?: string
  chatbotCorpId?: string
  senderUnionId?: string
  sessionWebhook: string
  sessionWebhookExpiredTime?: number | string
  createAt?: number | string
  text?: { content?: string }
  content?: {
    richText?: Array<{ text?: unknown }>
    recognition?: unknown
  }
  errorMessage?: { errorCode?: number | string; message?: string }
}

const ajv = new Ajv({ allErrors: false })
const validate = ajv.compile<RobotMessagePayload>(robotMessageSchema)

export class InvalidRobotMessage extends Error {
  constructor(readonly reason: string) {
    super(`invalid robot message: ${reason}`)
    this.name = 'InvalidRobotMessage'
  }
}

/** Validates an already-parsed payload; throws `InvalidRobotMessage` with a loggable reason. */
export function assertRobotMessage(payload: unknown): asserts payload is RobotMessagePayload {
  if (!validate(payload)) {
    const e = validate.errors?.[0]
    throw new InvalidRobotMessage(`${e?.instancePath || 'body'} ${e?.message ?? 'is malformed'}`)
  }
}

function content(p: RobotMessagePayload): InboundContent {
  if (p.errorMessage) {
    return {
      kind: 'platform-error',
      code: p.errorMessage.errorCode ?? 'unknown',
      message: String(p.errorMessage.message ?? ''),
    }
  }
  switch (p.msgtype) {
    case 'text':
      return { kind: 'text', text: p.text?.content ?? '' }
    case 'richText': {
      // Only the text parts count; pictures in between are separators.
      const parts = (p.content?.richText ?? []).map((part) =>
        typeof part?.text === 'string' ? part.text : ' ',
      )
      return { kind: 'text', text: parts.join('') }
    }
    case 'audio': {
      const recognition = p.content?.recognition
      return typeof recognition === 'string' && recognition.trim()
        ? { kind: 'text', text: recognition }
        : { kind: 'unsupported', msgtype: 'audio' }
    }
    default:
      return { kind: 'unsupported', msgtype: p.msgtype }
  }
}

/** Turns a validated robot payload into the transport-neutral message the core works with. */
export function toInboundMessage(
  p: RobotMessagePayload,
  transport: TransportKind,
  now: number,
): InboundMessage {
  const expires = Number(p.sessionWebhookExpiredTime ?? 0)
  const created = Number(p.createAt ?? 0)
  return {
    id: p.msgId,
    transport,
    receivedAt: now,
    sentAt: Number.isFinite(created) && created > 0 ? created : now,
    conversation: {
      id: p.conversationId,
      type: p.conversationType === '2' ? 'group' : 'single',
      ...(p.conversationTitle ? { title: p.conversationTitle } : {}),
    },
    sender: {
      id: p.senderId,
      staffId: p.senderStaffId ?? '',
      nick: p.senderNick ?? '',
      isAdmin: p.isAdmin === true,
      ...(p.senderUnionId ? { unionId: p.senderUnionId } : {}),
    },
    ...(p.chatbotCorpId ? { org: { corpId: p.chatbotCorpId, robotCode: p.robotCode ?? '' } } : {}),
    content: content(p),
    replyTarget: {
      sessionWebhook: p.sessionWebhook,
      sessionWebhookExpiresAt: Number.isFinite(expires) ? expires : 0,
    },
  }
}
