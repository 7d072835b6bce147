import type { InboundMessage, Reply } from '../core/message.js'
import type { DingTalkApi } from '../dingtalk/api.js'

/** `msgKey` + `msgParam` (a JSON string) for the robot OpenAPI, from a webhook-style reply. */
export function toRobotMessage(reply: Reply, msg: InboundMessage): { msgKey: string; msgParam: string } {
  // The OpenAPI cannot @-mention: write the asker's name instead of their raw staff id.
  const unmention = (text: string) =>
    msg.sender.staffId
      ? text.split(`@${msg.sender.staffId}`).join(`@${msg.sender.nick || msg.sender.staffId}`)
      : text
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

/**
 * Sends through the robot OpenAPI when the session webhook cannot be used (expired, gone):
 * group chats by `openConversationId`, one-to-one chats to the sender's staff id.
 */
export class RobotSender {
  constructor(
    private readonly api: DingTalkApi,
    /** From configuration, not from the message: the body of a callback is not signed. */
    private readonly robotCode: string,
  ) {}

  async send(msg: InboundMessage, reply: Reply): Promise<void> {
    const { msgKey, msgParam } = toRobotMessage(reply, msg)
    const robotCode = this.robotCode
    if (msg.conversation.type === 'group') {
      await this.api.call({
        api: 'robot.groupSend',
        method: 'POST',
        path: '/v1.0/robot/groupMessages/send',
        body: { robotCode, openConversationId: msg.conversation.id, msgKey, msgParam },
      })
      return
    }
    if (!msg.sender.staffId)
      throw new Error('one-to-one fallback needs the sender staff id, which DingTalk did not send')
    await this.api.call({
      api: 'robot.otoSend',
      method: 'POST',
      path: '/v1.0/robot/oToMessages/batchSend',
      body: { robotCode, userIds: [msg.sender.staffId], msgKey, msgParam },
    })
  }
}
