import type { DWClientDownStream } from 'dingtalk-stream'
import type { EventOutcome } from '../../core/event.js'
import type { InboundPort } from '../../core/port.js'
import type { Logger } from '../../logger.js'
import { parseEventFrame } from './frames.js'

/** What an EVENT frame is acked with (platform notes §8): `LATER` asks DingTalk to push it again. */
export type EventAckStatus = 'SUCCESS' | 'LATER'

/** Acks one EVENT frame on the socket it came on; false when that socket has gone. */
export type EventAck = (status: EventAckStatus) => boolean

export interface EventIntakeOptions {
  /** The core: `event` is never awaited by the socket; its outcome decides the ack. */
  readonly port: Pick<InboundPort, 'event'>
  readonly log: Logger
  readonly clock: () => number
  /** A frame we could not use; `reason` never holds frame content. */
  readonly badFrame: (reason: string) => void
  /** Counts one event towards the transport's bound while the core has it; returns its release. */
  readonly hold: () => () => void
}

/** `failed`: not handled, push it again; anything else ends it (a duplicate was handled before). */
export function ackStatus(outcome: EventOutcome): EventAckStatus {
  return outcome === 'failed' ? 'LATER' : 'SUCCESS'
}

/**
 * EVENT frames between the socket and the core. Unlike a robot message (acked once kept, answered
 * later), an event is acked once the core is through with it, on the socket it came on: its
 * outcome is the ack (`ackStatus`). A frame that is not a usable event is acked `SUCCESS` (pushed
 * again it would be just as unusable) and reported. While the core has an event it counts towards
 * the transport's bound (the backlog's `hold`), so a flood of events pauses the socket too.
 */
export class EventIntake {
  constructor(private readonly opts: EventIntakeOptions) {}

  take(frame: DWClientDownStream, messageId: string, ack: EventAck): void {
    const parsed = parseEventFrame(frame, this.opts.clock())
    if (!parsed.ok) {
      ack('SUCCESS')
      this.opts.badFrame(parsed.reason)
      return
    }
    const { event } = parsed
    const release = this.opts.hold()
    let handling: Promise<EventOutcome>
    try {
      handling = this.opts.port.event(event)
    } catch (err) {
      // The port promises never to throw; one that does must not take the socket's handler down.
      handling = Promise.reject(err)
    }
    handling
      .catch((err: unknown): EventOutcome => {
        this.opts.log.error({ err, messageId, eventId: event.id }, 'event handling failed')
        return 'failed'
      })
      .then((outcome) => {
        release()
        if (!ack(ackStatus(outcome))) {
          this.opts.log.warn(
            { messageId, eventId: event.id, outcome },
            'socket closed before the event ack; DingTalk pushes it again',
          )
        }
      })
  }
}
