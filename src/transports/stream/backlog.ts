import type { InboundMessage } from '../../core/message.js'
import type { InboundPort } from '../../core/port.js'
import type { Logger } from '../../logger.js'
import { parseRobotFrame } from './frames.js'

/** A robot frame as read from its socket, not acked yet. */
export interface ReceivedFrame {
  /** The frame's `data`: the robot message's JSON. */
  readonly data: string
  /** The frame's `headers.messageId` (not the message's `msgId`): what log lines name it by. */
  readonly messageId: string
  readonly receivedAt: number
  /** Acks the frame on the socket it came on; false when that socket has gone. */
  ack(): boolean
}

export interface BacklogOptions {
  /** The core. `handle` is never awaited here; what it throws or rejects with is logged. */
  readonly port: InboundPort
  readonly log: Logger
  /** Messages handed to the port per event-loop turn (at least 1). */
  readonly handoffPerTurn: number
  /** Messages with the port and not settled yet, at most (at least 1). */
  readonly maxInFlight: number
  /** Messages taken and not settled yet (being kept, waiting, in flight), at most (`BOT_MAX_PENDING`). */
  readonly maxPending?: number
  /** The backlog holds `maxPending`: stop reading the socket. */
  readonly onFull?: () => void
  /** Back under three quarters of it: read again. */
  readonly onRoom?: () => void
}

/**
 * The frames between the socket and the core. Each frame is parsed and kept in the inbox (the
 * port's `keep`: committed) before it is acked, so a crash after the ack loses nothing; then its
 * message waits here and goes to the port a few per event-loop turn, at most `maxInFlight` at once.
 * A frame that cannot be kept is not acked: DingTalk pushes it again. A redelivery of a message
 * already on its way is acked and not handed over twice.
 *
 * Why a few per turn (`setImmediate` runs after the turn's socket reads): if every message of a
 * burst went to the core at once, the synchronous part of handling them all would stand between
 * the socket and the next read, and acks would wait behind the work (`npm run bench`, 5,000
 * frames: ack p99 about 400 ms before, 35 to 45 ms after). Why a cap: thousands of messages in
 * flight held thousands of live promise chains between socket reads. Why `maxPending`: memory.
 * Above it the supervisor pauses the socket (TCP backpressure; frames wait at DingTalk, which
 * pushes what it misses again, and the inbox and de-dup absorb the copies).
 */
export class Backlog {
  /** Kept messages not handed over yet, oldest first from `head`, with their frames' ids for the log. */
  private queue: Array<{ readonly msg: InboundMessage; readonly messageId: string }> = []
  private head = 0
  private scheduled = false
  private keeping = 0
  private handedOver = 0
  /** Other work the port does for this transport and that counts towards `maxPending` (events). */
  private held = 0
  private full = false
  private readonly perTurn: number
  private readonly cap: number
  private readonly maxPending: number
  private readonly log: Logger
  private readonly port: InboundPort
  private readonly onTurn = (): void => this.turn()

  constructor(private readonly opts: BacklogOptions) {
    this.port = opts.port
    this.log = opts.log
    this.perTurn = Math.max(1, opts.handoffPerTurn)
    this.cap = Math.max(1, opts.maxInFlight)
    this.maxPending = Math.max(1, opts.maxPending ?? Number.POSITIVE_INFINITY)
  }

  /** Frames taken and not handed over yet (being kept, or waiting for their turn), and those held. */
  get pending(): number {
    return this.keeping + this.queue.length - this.head + this.held
  }

  /** Messages handed to the port that have not settled yet. */
  get inFlight(): number {
    return this.handedOver
  }

  /** Parses and keeps a frame, acks it once kept, queues its message. Cheap until the commit. */
  push(frame: ReceivedFrame): void {
    const parsed = parseRobotFrame(frame.data, frame.receivedAt)
    if (!parsed.ok) {
      // Acked all the same: pushed again, it would be just as invalid.
      frame.ack()
      this.log.warn(
        { messageId: frame.messageId, reason: parsed.reason },
        'invalid robot message acked and dropped',
      )
      return
    }
    const msg = parsed.message
    this.keeping++
    this.checkFull()
    this.port.keep(msg).then(
      (kept) => {
        this.keeping--
        if (!frame.ack()) {
          this.log.warn(
            { messageId: frame.messageId },
            'socket closed before the ack; DingTalk may push it again',
          )
        }
        if (kept) this.enqueue(msg, frame.messageId)
        else this.checkRoom()
      },
      (err: unknown) => {
        this.keeping--
        this.log.error(
          { err, messageId: frame.messageId, msgId: msg.id },
          'message could not be kept; not acked, DingTalk pushes it again',
        )
        this.checkRoom()
      },
    )
  }

  /**
   * Counts one more item with the port towards `maxPending` (an event, handled before its ack),
   * until the returned release is called (once; later calls do nothing).
   */
  hold(): () => void {
    this.held++
    this.checkFull()
    let released = false
    return () => {
      if (released) return
      released = true
      this.held--
      this.checkRoom()
    }
  }

  /** Hands every waiting message to the port now, whatever is in flight (at stop). */
  flush(): void {
    this.handOff(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)
  }

  private enqueue(msg: InboundMessage, messageId: string): void {
    this.queue.push({ msg, messageId })
    this.schedule()
  }

  private checkFull(): void {
    if (this.full || this.pending + this.handedOver < this.maxPending) return
    this.full = true
    this.log.warn(
      { pending: this.pending, inFlight: this.handedOver },
      'backlog full: not reading the stream',
    )
    this.opts.onFull?.()
  }

  private checkRoom(): void {
    if (!this.full || this.pending + this.handedOver > (this.maxPending * 3) / 4) return
    this.full = false
    this.log.info(
      { pending: this.pending, inFlight: this.handedOver },
      'backlog has room: reading the stream again',
    )
    this.opts.onRoom?.()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.onTurn)
  }

  private turn(): void {
    this.scheduled = false
    this.handOff(this.perTurn, this.cap)
    if (this.queue.length > this.head && this.handedOver < this.cap) this.schedule()
  }

  /** One handed-over message settled: room for the next waiting one. */
  private settled(): void {
    this.handedOver--
    this.checkRoom()
    if (this.queue.length > this.head) this.schedule()
  }

  /** Hands over up to `max` waiting messages while fewer than `inFlightCap` are in flight. */
  private handOff(max: number, inFlightCap: number): void {
    for (let n = 0; n < max && this.head < this.queue.length && this.handedOver < inFlightCap; n++) {
      const next = this.queue[this.head++] as { msg: InboundMessage; messageId: string }
      this.deliver(next.msg, next.messageId)
    }
    this.compact()
  }

  private deliver(msg: InboundMessage, messageId: string): void {
    this.handedOver++
    const settled = () => this.settled()
    try {
      this.port
        .handle(msg)
        .catch((err: unknown) => {
          this.log.error({ err, messageId, msgId: msg.id }, 'message handling failed')
        })
        .finally(settled)
    } catch (err) {
      // The port promises never to throw; one that does must not stall the backlog.
      this.log.error({ err, messageId, msgId: msg.id }, 'message handling failed')
      settled()
    }
  }

  /** Drops handed-over messages from the front, without copying the queue on every turn. */
  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}
