import type { InboundMessage, Reply } from '../core/message.js'
import type { DingTalkApi } from '../dingtalk/api.js'

/** `msgKey` + `msgParam` (a JSON string) for the robot OpenAPI, from a webhook-style reply. */
export function toRobotMessage(reply: Reply, msg?: InboundMessage): { msgKey: string; msgParam: string } {
  // The OpenAPI cannot @-mention: write the asker's name instead of their raw staff id.
  const staffId = msg?.sender.staffId
  const unmention = (text: string) =>
    staffId ? text.split(`@${staffId}`).join(`@${msg?.sender.nick || staffId}`) : text
  switch (reply.msgtype) {
    case 'text':
      return { msgKey: 'sampleText', msgParam: JSON.stringify({ content: unmention(reply.text.content) }) }
    case 'markdown':
      return {
        msgKey: 'sampleMarkdown',
        msgParam: JSON.stringify({ title: reply.markdown.title, text: unmention(reply.markdown.text) }),
      }
    case 'actionCard':
      return { msgKey: 'sampleActionCard', msgParam: JSON.stringify(reply.actionCard) }
  }
}

/** A chat as the robot OpenAPI addresses it: a group by its conversation, a 1:1 chat by the person. */
export interface RobotChat {
  readonly conversationId: string
  readonly type: 'single' | 'group'
  /** The person of a one-to-one chat (their userId in the org); unused for groups. */
  readonly staffId: string
}

/**
 * Sends through the robot OpenAPI when the session webhook cannot be used (expired, gone), and
 * for proactive notices: group chats by `openConversationId`, one-to-one chats to the staff id.
 */
export class RobotSender {
  constructor(
    private readonly api: DingTalkApi,
    /** From configuration, not from the message: the body of a callback is not signed. */
    private readonly robotCode: string,
  ) {}

  async send(msg: InboundMessage, reply: Reply): Promise<void> {
    const chat = {
      conversationId: msg.conversation.id,
      type: msg.conversation.type,
      staffId: msg.sender.staffId,
    }
    await this.post(chat, toRobotMessage(reply, msg))
  }

  /** A message nobody asked for just now (a notice): to a chat, no mention to undo. */
  async sendTo(chat: RobotChat, reply: Reply): Promise<void> {
    await this.post(chat, toRobotMessage(reply))
  }

  private async post(chat: RobotChat, { msgKey, msgParam }: { msgKey: string; msgParam: string }) {
    const robotCode = this.robotCode
    if (chat.type === 'group') {
      await this.api.call({
        api: 'robot.groupSend',
        method: 'POST',
        path: '/v1.0/robot/groupMessages/send',
        body: { robotCode, openConversationId: chat.conversationId, msgKey, msgParam },
      })
      return
    }
    if (!chat.staffId)
      throw new Error('one-to-one fallback needs the sender staff id, which DingTalk did not send')
    await this.api.call({
      api: 'robot.otoSend',
      method: 'POST',
      path: '/v1.0/robot/oToMessages/batchSend',
      body: { robotCode, userIds: [chat.staffId], msgKey, msgParam },
    })
  }
}
