import type { InboundPort } from '../../core/port.js'
import type { Logger } from '../../logger.js'
import { answerClick, CARD_ANSWER_MS, type CardCallbackAnswer, cardAnswer } from '../card-callback.js'
import { parseCardFrame } from './frames.js'

/** Acks one card CALLBACK frame on the socket it came on, with the answer; false once that socket has gone. */
export type CardAck = (answer: CardCallbackAnswer) => boolean

export interface CardIntakeOptions {
  /** The core: `cardAction` is never awaited by the socket; its data goes into the ack. */
  readonly port: Pick<InboundPort, 'cardAction'>
  readonly log: Logger
  readonly clock: () => number
  /** A frame we could not use; `reason` never holds frame content. */
  readonly badFrame: (reason: string) => void
  /** Counts one click towards the transport's bound while the core has it; returns its release. */
  readonly hold: () => () => void
  /** How long the ack waits for the core (default `CARD_ANSWER_MS`). */
  readonly answerWithinMs?: number
}

/**
 * Card button clicks (CALLBACK frames on `/v1.0/card/instances/callback`) between the socket and
 * the core. The ack is the answer: DingTalk applies the card data in it, and pushes the frame
 * again if no ack comes within about 2 s. So the ack waits for the core, at most
 * `answerWithinMs`, then says nothing (the flow goes on; the feature updates the card later).
 * Clicks do not go through the robot backlog or the inbox: nothing is owed after a crash, and an
 * unacked click comes again by itself. A frame that is no usable click is acked with an empty
 * answer at once (pushed again it would be just as unusable) and reported.
 */
export class CardIntake {
  private readonly withinMs: number

  constructor(private readonly opts: CardIntakeOptions) {
    this.withinMs = opts.answerWithinMs ?? CARD_ANSWER_MS
  }

  take(data: unknown, messageId: string, ack: CardAck): void {
    const parsed = parseCardFrame(data, this.opts.clock())
    if (!parsed.ok) {
      ack(cardAnswer())
      this.opts.badFrame(parsed.reason)
      return
    }
    const { action } = parsed
    const release = this.opts.hold()
    const { answer, done } = answerClick(this.opts.port, action, this.withinMs, this.opts.log)
    void done.then(release)
    void answer.then((a) => {
      if (!ack(a)) {
        this.opts.log.warn(
          { messageId, clickId: action.id },
          'socket closed before the card click ack; DingTalk pushes it again',
        )
      }
    })
  }
}
