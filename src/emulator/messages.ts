import { createHash, randomBytes } from 'node:crypto'
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

/** What a robot message needs of the org it comes from (ISV mode: one of several orgs). */
export interface MessageOrg {
  readonly corpId: string
  readonly name?: string
  /** Staff ids DingTalk marks `isAdmin` in this org. */
  readonly admins?: readonly string[]
}

/**
 * Someone of an org: `admin` is the org's first admin, `user` the emulated user (user0001), any
 * other staff id is that person, an admin when the org lists them.
 */
export function orgUser(org: MessageOrg, who: string): EmulatedUser {
  const admins = org.admins ?? []
  if (who === 'admin') {
    const staffId = admins[0]
    if (!staffId) throw new Error(`org ${org.corpId} has no admin`)
    return { staffId, nick: `${org.name ?? org.corpId} admin`, isAdmin: true }
  }
  const base = emulatedUser(who)
  return { ...base, isAdmin: admins.includes(base.staffId) }
}

/** A person's unionId in an org: stable (the same staff id in the same org is the same person). */
export function orgUnionId(corpId: string, staffId: string): string {
  return `union${createHash('sha256').update(`${corpId}\0${staffId}`).digest('hex').slice(0, 12)}`
}

/** Whether an id has the shape of the emulator's unionIds (`orgUnionId`, member unionIds), not a staff id. */
export function isUnionId(id: unknown): boolean {
  return typeof id === 'string' && /^union[0-9a-f]{10,16}$/.test(id)
}

/** The chat's conversation id: the playground group (one per org), or the user's one-to-one chat. */
export function conversationIdOf(
  conversation: 'group' | 'single',
  staffId: string,
  org?: { readonly corpId: string },
): string {
  const corp = org ? `.${org.corpId}` : ''
  return conversation === 'group' ? `cidEmulatorGroup0001${corp}==` : `cidEmulatorSingle${staffId}${corp}==`
}

export interface RobotMessageSpec {
  readonly text: string
  readonly user: EmulatedUser
  readonly conversation: 'group' | 'single'
  readonly sessionWebhook: string
  readonly robotCode: string
  readonly now?: number
  /**
   * The org the message comes from (ISV mode): `chatbotCorpId` and `senderCorpId` are it, the
   * sender gets their `senderUnionId` in it, `isAdmin` follows the org's admins, and the chats
   * are the org's own. Without: the internal app's one org, `dingcorpEmulator`.
   */
  readonly org?: MessageOrg
}

/** A text robot message shaped exactly like DingTalk's (platform notes §1). */
export function robotTextMessage(spec: RobotMessageSpec): RobotMessagePayload & Record<string, unknown> {
  const now = spec.now ?? Date.now()
  const group = spec.conversation === 'group'
  const org = spec.org
  const corpId = org?.corpId ?? 'dingcorpEmulator'
  return {
    msgId: `msg${randomBytes(10).toString('hex')}`,
    msgtype: 'text',
    text: { content: group ? ` ${spec.text}` : spec.text },
    conversationId: conversationIdOf(spec.conversation, spec.user.staffId, org),
    conversationType: group ? '2' : '1',
    ...(group
      ? { conversationTitle: org?.name ? `${EMULATED_GROUP.title} (${org.name})` : EMULATED_GROUP.title }
      : {}),
    senderId: `$:LWCP_v1:$${spec.user.staffId}${org ? `.${org.corpId}` : ''}`,
    senderNick: spec.user.nick,
    senderStaffId: spec.user.staffId,
    senderCorpId: corpId,
    ...(org ? { senderUnionId: orgUnionId(org.corpId, spec.user.staffId) } : {}),
    isAdmin: org ? (org.admins ?? []).includes(spec.user.staffId) : spec.user.isAdmin,
    isInAtList: true,
    chatbotCorpId: corpId,
    chatbotUserId: '$:LWCP_v1:$robotEmulator',
    robotCode: spec.robotCode,
    sessionWebhook: spec.sessionWebhook,
    sessionWebhookExpiredTime: now + 90 * 60_000,
    createAt: now,
    senderPlatform: 'Terminal',
  }
}

/**
 * A robot message re-addressed as coming from `org` (the control API's stream push with a corpId):
 * the org fields are set from the sender's staff id, the rest is kept.
 */
export function asOrgMessage(
  payload: Record<string, unknown>,
  org: MessageOrg,
  robotCode: string,
): Record<string, unknown> {
  const staffId = typeof payload.senderStaffId === 'string' ? payload.senderStaffId : ''
  return {
    ...payload,
    chatbotCorpId: org.corpId,
    senderCorpId: org.corpId,
    ...(staffId ? { senderUnionId: orgUnionId(org.corpId, staffId) } : {}),
    isAdmin: (org.admins ?? []).includes(staffId),
    robotCode,
  }
}
