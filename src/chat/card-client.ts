import { conversationIdOf, orgUnionId } from '../emulator/messages.js'
import type { ChatCard } from './card-render.js'
import { ChatError } from './errors.js'

/** Where DingTalk shows a card in this chat: the group, or the user's one-to-one chat with the bot. */
export interface CardSpace {
  readonly type: 'IM_GROUP' | 'IM_ROBOT'
  readonly id: string
}

export function cardSpace(target: {
  readonly conversation: 'group' | 'single'
  readonly user: { readonly staffId: string }
  /** ISV mode: the org's own group, and one-to-one cards addressed by the user's unionId there. */
  readonly org?: { readonly corpId: string }
}): CardSpace {
  const { org, user } = target
  if (target.conversation === 'group')
    return { type: 'IM_GROUP', id: conversationIdOf('group', user.staffId, org) }
  return { type: 'IM_ROBOT', id: org ? orgUnionId(org.corpId, user.staffId) : user.staffId }
}

/** What pressing a card's button brought back (the emulator's `POST /_emulator/cards/:id/press`). */
export interface PressAnswer {
  readonly via: 'stream' | 'http'
  readonly ms: number
  readonly response: unknown
}

/**
 * Waits (up to `waitMs`) for the cards of one chat changed after `after` (a version the emulator
 * answered before; 0 for all): `GET /_emulator/cards`. Answers the newest version, for the next call.
 */
export async function fetchCards(
  emulatorUrl: string,
  space: CardSpace,
  after: number,
  waitMs: number,
  signal?: AbortSignal,
): Promise<{ version: number; cards: ChatCard[] }> {
  const q = new URLSearchParams({
    after: String(after),
    waitMs: String(waitMs),
    spaceType: space.type,
    spaceId: space.id,
  })
  const timeout = AbortSignal.timeout(waitMs + 5000)
  const res = await fetch(`${emulatorUrl}/_emulator/cards?${q}`, {
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  }).catch(() => {
    throw new ChatError('lost the emulator while following the cards')
  })
  if (!res.ok) throw new ChatError(`the emulator answered HTTP ${res.status} for the cards`)
  return (await res.json()) as { version: number; cards: ChatCard[] }
}

/** The card delivered last. */
export function newestCard(cards: readonly ChatCard[]): ChatCard | undefined {
  return cards.reduce<ChatCard | undefined>((a, c) => (!a || c.createdAt >= a.createdAt ? c : a), undefined)
}
