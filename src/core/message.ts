/**
 * Transport-neutral message types. Nothing here knows about Fastify, WebSockets or the SDK:
 * transports turn DingTalk payloads into an `InboundMessage`, the core answers with a `Reply`.
 */

export type TransportKind = 'http' | 'stream'

export type InboundContent =
  | { readonly kind: 'text'; readonly text: string }
  /** A picture, file, video... or an audio message without speech recognition. */
  | { readonly kind: 'unsupported'; readonly msgtype: string }
  /** DingTalk paused the org's robot messages (errorMessage 20001): nothing can be answered. */
  | { readonly kind: 'platform-error'; readonly code: number | string; readonly message: string }

export interface ReplyTarget {
  /** Per-conversation reply URL. A bearer secret: never log it. */
  readonly sessionWebhook: string
  /** Epoch ms after which `sessionWebhook` no longer works (0 when unknown). */
  readonly sessionWebhookExpiresAt: number
}

export interface InboundMessage {
  /** DingTalk's `msgId`: the idempotency key. */
  readonly id: string
  readonly transport: TransportKind
  readonly receivedAt: number
  /** When DingTalk says it was sent (`createAt`); when it arrived if DingTalk did not say. */
  readonly sentAt: number
  readonly conversation: {
    readonly id: string
    readonly type: 'single' | 'group'
    readonly title?: string
  }
  readonly sender: {
    readonly id: string
    /** The user's userId in the org; empty for people outside the org. */
    readonly staffId: string
    readonly nick: string
    readonly isAdmin: boolean
    /** The user's unionId (`senderUnionId`), when DingTalk sent it: third-party apps' cards address people by it. */
    readonly unionId?: string
  }
  /**
   * The org the robot answers in (`chatbotCorpId`) and the robot's code there, when DingTalk said.
   * A third-party (ISV) app serves many orgs: this says whose message it is.
   */
  readonly org?: { readonly corpId: string; readonly robotCode: string }
  readonly content: InboundContent
  readonly replyTarget: ReplyTarget
}

/** The bodies DingTalk accepts from a robot (session webhook and HTTP response alike). */
export type Reply =
  | {
      readonly msgtype: 'text'
      readonly text: { readonly content: string }
      readonly at?: { readonly atUserIds: readonly string[]; readonly isAtAll: false }
    }
  | {
      readonly msgtype: 'markdown'
      readonly markdown: { readonly title: string; readonly text: string }
      readonly at?: { readonly atUserIds: readonly string[]; readonly isAtAll: false }
    }
  | {
      readonly msgtype: 'actionCard'
      readonly actionCard: {
        readonly title: string
        readonly text: string
        readonly singleTitle: string
        readonly singleURL: string
      }
    }

export const EMPTY_REPLY = { msgtype: 'empty' } as const

/**
 * What a command returns when it sent its answer itself, by a path no reply body takes (an
 * interactive card through the card API): the path, for the log line. Nothing else goes out.
 */
export interface SelfDelivered {
  readonly delivered: string
}

/** A command's answer: a reply for the deliver step to send, or word that it went out already. */
export type Answer = Reply | SelfDelivered

export function isSelfDelivered(a: Answer): a is SelfDelivered {
  return 'delivered' in a
}

/**
 * Where a transport can take an answer directly (the HTTP response, while it is still open).
 * The core offers the reply here first; `false` means the slot has gone and the reply must be
 * delivered another way (session webhook, robot OpenAPI).
 */
export interface ReplySink {
  offer(reply: Reply): boolean
}
