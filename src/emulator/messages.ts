import { randomBytes } from 'node:crypto'
import type { RobotMessagePayload } from '../dingtalk/robot-message.js'

/** People the emulator can speak as. */
export interface EmulatedUser {
  readonly staffId: string
  readonly nick: string
  readonly isAdmin: boolean
}

export const EMULATED_USERS: Readonly<Record<'user' | 'admin', EmulatedUser>> = {
  user: { staffId: 'user0001', nick: 'Li Lei', isAdmin: false },
  admin: { staffId: 'admin0001', nick: 'Han Meimei', isAdmin: true },
}

export const EMULATED_GROUP = { id: 'cidEmulatorGroup0001==', title: 'Meeting bot playground' } as const

/** A user by role, or an arbitrary staff id (not an admin unless listed in BOT_ADMINS). */
export function emulatedUser(who: string): EmulatedUser {
  if (who === 'user' || who === 'admin') return EMULATED_USERS[who]
  return { staffId: who, nick: who, isAdmin: false }
}

export interface RobotMessageSpec {
  readonly text: string
  readonly user: EmulatedUser
  readonly conversation: 'group' | 'single'
  readonly sessionWebhook: string
  readonly robotCode: string
  readonly now?: number
}

/** A text robot message shaped exactly like DingTalk's (platform notes §1). */
export function robotTextMessage(spec: RobotMessageSpec): RobotMessagePayload & Record<string, unknown> {
  const now = spec.now ?? Date.now()
  const group = spec.conversation === 'group'
  return {
    msgId: `msg${randomBytes(10).toString('hex')}`,
    msgtype: 'text',
    text: { content: group ? ` ${spec.text}` : spec.text },
    conversationId: group ? EMULATED_GROUP.id : `cidEmulatorSingle${spec.user.staffId}==`,
    conversationType: group ? '2' : '1',
    ...(group ? { conversationTitle: EMULATED_GROUP.title } : {}),
    senderId: `$:LWCP_v1:$${spec.user.staffId}`,
    senderNick: spec.user.nick,
    senderStaffId: spec.user.staffId,
    senderCorpId: 'dingcorpEmulator',
    isAdmin: spec.user.isAdmin,
    isInAtList: true,
    chatbotCorpId: 'dingcorpEmulator',
    chatbotUserId: '$:LWCP_v1:$robotEmulator',
    robotCode: spec.robotCode,
    sessionWebhook: spec.sessionWebhook,
    sessionWebhookExpiredTime: now + 90 * 60_000,
    createAt: now,
    senderPlatform: 'Terminal',
  }
}
