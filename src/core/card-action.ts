import type { Logger } from '../logger.js'
import type { TransportKind } from './message.js'

/**
 * A button pressed on an interactive card (platform notes §10): a CALLBACK frame on
 * `/v1.0/card/instances/callback` over Stream, or an HTTP POST to `/dingtalk/card-callback`.
 * DingTalk waits at most 2 s for the answer: what the card shows now goes back in it; slow work
 * happens afterwards, and reaches the card as an update.
 */
export interface InboundCardAction {
  /**
   * The de-dup key. DingTalk gives a click no id of its own (a re-push has a new frame id), so the
   * transport derives it from the click's content: the same click pushed again has the same key;
   * the same button pressed again by the same person within the click window counts once too.
   */
  readonly id: string
  readonly transport: TransportKind
  readonly receivedAt: number
  /** The card: our own `outTrackId`, from when the bot created it. */
  readonly outTrackId: string
  readonly corpId: string
  /** Who pressed it (a staff id with `userIdType` 1). */
  readonly userId: string
  /** The button's action: `params.action`, else the first of `actionIds`. */
  readonly action: string
  readonly params: Readonly<Record<string, unknown>>
}

/** The card data to show at once (string values, as every `cardParamMap`), merged by key. */
export type CardData = Readonly<Record<string, string>>

/** What became of one click: for the log line, the metrics and the transport's answer. */
export type CardActionOutcome = 'handled' | 'duplicate' | 'ignored' | 'failed'

export interface CardActionResult {
  readonly outcome: CardActionOutcome
  /** What the card shows now, for the answer DingTalk waits for; undefined: leave it as it is. */
  readonly data?: CardData
}

/** What a feature's handler of one action gets. */
export interface CardActionContext {
  readonly action: InboundCardAction
  /** Carries the card, the action and the user. */
  readonly log: Logger
  readonly now: number
}

/**
 * A feature's handler of one button action. It resolves the card data to show at once (or
 * nothing), within DingTalk's 2 s: slow work (a lookup, a members fetch) is started in the
 * background and lands as a card update. Throwing makes the click `failed`: logged with a
 * reference id, the card left as it was.
 */
export type CardActionHandler = (ctx: CardActionContext) => Promise<CardData | undefined>
