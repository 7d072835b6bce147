import type { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import type { CardInstance } from '../../../src/emulator/types.js'
import { SECRET, type Stack, signedHeaders, startStack } from '../../helpers/index.js'
import { type Chat, chat } from '../watch/helpers.js'

export const TEMPLATE = 'a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6.schema'
/** The emulator signs HTTP clicks with the app secret unless told otherwise; so does the bot here. */
export const CARD_SECRET = SECRET

/** The env of a bot with live cards, updating fast enough for a test. */
export function cardEnv(more: Record<string, string> = {}): Record<string, string> {
  return {
    DINGTALK_CARD_TEMPLATE_ID: TEMPLATE,
    DINGTALK_CARD_CALLBACK_SECRET: CARD_SECRET,
    BOT_CARD_UPDATE_MS: '1000',
    BOT_WATCH_POLL_MS: '1000',
    ...more,
  }
}

/** An HTTP bot with live cards on the sample meetings; card clicks POSTed to it, signed. */
export async function cardStack(
  t: Parameters<typeof startStack>[0],
  opts: Omit<NonNullable<Parameters<typeof startStack>[1]>, 'env'> & { env?: Record<string, string> } = {},
): Promise<Stack & { chat: Chat }> {
  let emuRef: DingTalkEmulator | undefined
  const s = await startStack(t, {
    meetings: sampleMeetings(Date.now()),
    ...opts,
    env: cardEnv(opts.env),
    before: async (emu) => {
      emuRef = emu
      await opts.before?.(emu)
    },
  })
  s.emu.cards.callbackUrl = `${s.url}/dingtalk/card-callback`
  return { ...s, chat: chat(emuRef ?? s.emu) }
}

/** Asks in the chat over HTTP; resolves the inline body (`empty` when a card went out instead). */
export async function askHttp(s: Stack, c: Chat, text: string): Promise<Record<string, unknown>> {
  const res = await s.post(c.message(text), signedHeaders(SECRET))
  return (await res.json()) as Record<string, unknown>
}

/** The cards the bot created in this chat's group. */
export function cardsIn(emu: DingTalkEmulator, c: Chat): CardInstance[] {
  return emu.cards.list().filter((card) => card.space.id === c.conversationId)
}
