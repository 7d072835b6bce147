import { createHmac } from 'node:crypto'
import type { StreamGateway } from './gateway.js'
import type { CardInstance } from './types.js'

/** The topic of card button clicks over Stream (platform notes §10). */
export const CARD_CALLBACK_TOPIC = '/v1.0/card/instances/callback'

export class CardPressError extends Error {
  override name = 'CardPressError'
  constructor(
    readonly kind: 'unknown_card' | 'unknown_action' | 'no_stream' | 'callback_failed',
    message: string,
  ) {
    super(message)
  }
}

/** What pressing a button needs from the emulator. */
export interface CallbackPort {
  readonly stream: StreamGateway
  readonly corpId: string
  /** Signs HTTP callbacks (`x-ddpaas-signature`); never logged. */
  readonly secret: string
  /** Give up on a press after this long (the gateway re-pushes an unacked frame meanwhile). */
  readonly timeoutMs: number
}

export interface CardPressOptions {
  /** Who presses (staff id); default the emulated user `user0001`. */
  readonly userId?: string
  /** More params the button sends besides `action`. */
  readonly params?: Record<string, unknown>
}

export interface PressResult {
  readonly via: 'stream' | 'http'
  /** From the push (or POST) to the answer. */
  readonly ms: number
  /** The bot's answer: `{cardData?, cardUpdateOptions?, ...}` (the `response` of its ack or body). */
  readonly response: unknown
  /** Stream: the messageId of the push that was acked (a re-push has a new one). */
  readonly messageId?: string
}

/** `base64(HMAC-SHA256(key = callback secret, message = timestamp))` (platform notes §10). */
export function cardCallbackSignature(timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(timestamp, 'utf8').digest('base64')
}

/** The click as DingTalk sends it, over Stream (as the frame's `data`) and HTTP (as the body). */
export function cardCallbackPayload(
  card: CardInstance,
  action: string,
  userId: string,
  corpId: string,
  params: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'actionCallback',
    outTrackId: card.outTrackId,
    corpId,
    userId,
    content: JSON.stringify({ cardPrivateData: { actionIds: [action], params: { ...params, action } } }),
    spaceType: card.space.type,
    spaceId: card.space.id,
    userIdType: 1,
  }
}

function failed(message: string): CardPressError {
  return new CardPressError('callback_failed', message)
}

/** Sends one click to the bot and returns its answer; throws a CardPressError when none comes. */
export async function pressCard(
  port: CallbackPort,
  card: CardInstance,
  action: string,
  opts: CardPressOptions & { userId: string },
  url: string | undefined,
): Promise<PressResult> {
  const payload = cardCallbackPayload(card, action, opts.userId, card.corpId ?? port.corpId, opts.params)
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)
  if (card.callbackType === 'STREAM') {
    let messageId: string
    try {
      messageId = port.stream.push(payload, { topic: CARD_CALLBACK_TOPIC, subscribed: true })
    } catch (err) {
      throw new CardPressError('no_stream', (err as Error).message)
    }
    // Answered by the ack of any push of the frame, re-pushes included.
    const ack = await port.stream.waitForAck(messageId, port.timeoutMs).catch(() => {
      throw failed(`the bot acked no push of the card callback within ${port.timeoutMs} ms`)
    })
    if (ack.code !== 200) throw failed(`the bot acked the card callback with code ${String(ack.code)}`)
    const data = ack.frame.data
    let parsed: { response?: unknown }
    try {
      parsed = typeof data === 'string' && data ? (JSON.parse(data) as { response?: unknown }) : {}
    } catch {
      throw failed('the ack data of the card callback is not JSON')
    }
    return { via: 'stream', ms: ms(), response: parsed?.response ?? null, messageId: ack.messageId }
  }
  if (!url)
    throw failed('no card callback URL: set emu.cards.callbackUrl (the bot’s /dingtalk/card-callback)')
  const timestamp = String(Date.now())
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ddpaas-signature-timestamp': timestamp,
        'x-ddpaas-signature': cardCallbackSignature(timestamp, port.secret),
      },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(port.timeoutMs),
    })
  } catch (err) {
    throw failed(`the card callback POST failed: ${(err as Error).message}`)
  }
  const body = (await res.json().catch(() => undefined)) as { response?: unknown } | undefined
  if (res.status !== 200) throw failed(`the bot answered the card callback with HTTP ${res.status}`)
  return { via: 'http', ms: ms(), response: body?.response ?? null }
}
