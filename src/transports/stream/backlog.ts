import type { InboundMessage } from '../../core/message.js'
import type { InboundPort } from '../../core/port.js'
import type { Logger } from '../../logger.js'
import { parseRobotFrame } from './frames.js'

/** A robot frame already acked on its socket, waiting for its turn to be parsed and handed over. */
export interface AckedFrame {
  /** The frame's `data`: the robot message's JSON, not parsed yet. */
  readonly data: string
  /** The frame's `headers.messageId` (not the message's `msgId`): what log lines name it by. */
  readonly messageId: string
  readonly receivedAt: number
}

export interface BacklogOptions {
  /** The core. Never awaited here; what it throws or rejects with is logged. */
  readonly port: InboundPort
  readonly log: Logger
  /** Frames handed to the port per event-loop turn (at least 1). */
  readonly handoffPerTurn: number
  /** Messages with the port and not settled yet, at most (at least 1). */
  readonly maxInFlight: number
}

/**
 * The acked frames between the socket and the core: frames in (`push`), `InboundMessage`s out to
 * the port, a few per event-loop turn and at most `maxInFlight` at once.
 *
 * Why a few per turn (`setImmediate` runs after the turn's socket reads): a frame is acked as soon
 * as it is read; if every frame of a burst went to the core at once, the synchronous part of
 * handling them all would stand between the socket and the next read, and acks would wait behind
 * the work (`npm run bench`, 5,000 frames: ack p99 about 400 ms before, 35 to 45 ms after; 6.8 s
 * before, 0.15 s after for one unpaced burst). Why a cap: thousands of messages in flight held
 * thousands of live promise chains, whose completions and garbage stood between socket reads.
 * Parsing waits for the hand-off too, so reading and acking a frame costs as little as possible.
 *
 * It lives in memory: a frame acked but not handed over is lost with the process. `flush()`
 * (at stop) hands everything over so the core's drain covers it.
 */
export class Backlog {
  /** Acked frames not handed over yet, oldest first from `head`. */
  private queue: AckedFrame[] = []
  private head = 0
  private scheduled = false
  private handedOver = 0
  private readonly perTurn: number
  private readonly cap: number
  private readonly log: Logger
  private readonly port: InboundPort
  /** Bound once, so a settling message costs no closure. */
  private readonly onSettled = (): void => this.settled()
  private readonly onTurn = (): void => this.turn()

  constructor(opts: BacklogOptions) {
    this.port = opts.port
    this.log = opts.log
    this.perTurn = Math.max(1, opts.handoffPerTurn)
    this.cap = Math.max(1, opts.maxInFlight)
  }

  /** Frames acked and waiting for their turn. */
  get pending(): number {
    return this.queue.length - this.head
  }

  /** Messages handed to the port that have not settled yet. */
  get inFlight(): number {
    return this.handedOver
  }

  /** Queues an acked frame; the port gets it on a later turn. Cheap: it runs on the ack path. */
  push(frame: AckedFrame): void {
    this.queue.push(frame)
    this.schedule()
  }

  /** Hands every waiting frame to the port now, whatever is in flight (at stop). */
  flush(): void {
    this.handOff(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.onTurn)
  }

  private turn(): void {
    this.scheduled = false
    this.handOff(this.perTurn, this.cap)
    if (this.pending > 0 && this.handedOver < this.cap) this.schedule()
  }

  /** One handed-over message settled: room for the next waiting frame. */
  private settled(): void {
    this.handedOver--
    if (this.pending > 0) this.schedule()
  }

  /** Parses and hands over up to `max` waiting frames while fewer than `inFlightCap` are in flight. */
  private handOff(max: number, inFlightCap: number): void {
    for (let n = 0; n < max && this.head < this.queue.length && this.handedOver < inFlightCap; n++) {
      const { data, messageId, receivedAt } = this.queue[this.head++] as AckedFrame
      const parsed = parseRobotFrame(data, receivedAt)
      if (parsed.ok) this.deliver(parsed.message, messageId)
      else this.log.warn({ messageId, reason: parsed.reason }, 'invalid robot message acked and dropped')
    }
    this.compact()
  }

  private deliver(msg: InboundMessage, messageId: string): void {
    this.handedOver++
    try {
      this.port
        .handle(msg)
        .catch((err: unknown) => {
          this.log.error({ err, messageId, msgId: msg.id }, 'message handling failed')
        })
        .finally(this.onSettled)
    } catch (err) {
      // The port promises never to throw; one that does must not stall the backlog.
      this.log.error({ err, messageId, msgId: msg.id }, 'message handling failed')
      this.settled()
    }
  }

  /** Drops handed-over frames from the front, without copying the queue on every turn. */
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
