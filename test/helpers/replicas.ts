import { randomBytes } from 'node:crypto'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import type { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { robotMessage, signedHeaders } from './index.js'

/**
 * A question in a chat of its own (so per-chat reply pacing never queues it) with its own session
 * webhook (so a webhook reply can be traced back to it).
 */
export function question(emu: DingTalkEmulator, text = 'meeting 615902734'): RobotMessagePayload {
  return robotMessage({
    text,
    conversationId: `cid${randomBytes(8).toString('hex')}==`,
    sessionWebhook: emu.newSessionWebhook(),
  })
}

/** The session of a message's webhook, as the emulator records replies by it. */
export function sessionOf(msg: RobotMessagePayload): string {
  return new URL(msg.sessionWebhook).searchParams.get('session') ?? ''
}

/** Posts a signed HTTP callback as DingTalk does; the JSON body the bot answered. */
export async function callback(url: string, payload: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/dingtalk/callback`, {
    method: 'POST',
    headers: signedHeaders(),
    body: JSON.stringify(payload),
  })
  return (await res.json()) as Record<string, unknown>
}
