import type { EventAckRecord } from './events.js'
import type { AckRecord, PongRecord } from './gateway-protocol.js'

/** Resolves `wait(key)` once `settle(key, value)` happens (or has happened). */
class Waiters<T> {
  private readonly waiting = new Map<string, Array<(v: T) => void>>()
  constructor(private readonly done: Map<string, T>) {}

  settle(key: string, value: T): void {
    const list = this.waiting.get(key)
    if (!list) return
    this.waiting.delete(key)
    for (const resolve of list) resolve(value)
  }

  wait(key: string, timeoutMs: number, what: string): Promise<T> {
    const ready = this.done.get(key)
    if (ready !== undefined) return Promise.resolve(ready)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiting.get(key) ?? []
        this.waiting.set(
          key,
          list.filter((r) => r !== done),
        )
        reject(new Error(`no ${what} for ${key} after ${timeoutMs} ms`))
      }, timeoutMs)
      const done = (v: T) => {
        clearTimeout(timer)
        resolve(v)
      }
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), done])
    })
  }
}

/**
 * What the bot sent back over the emulator's Stream gateway: acks of pushed frames (re-pushes and
 * events included) and pongs to SYSTEM pings, kept for tests, which can wait for either.
 */
export class ReplyBook {
  readonly acks: AckRecord[] = []
  /**
   * Acks of EVENT frames (also in `acks`), with their status: of every push, re-pushes included,
   * also those that arrive after another push of the event ended its re-pushes.
   */
  readonly eventAcks: EventAckRecord[] = []
  readonly pongs: PongRecord[] = []
  /** Acks for a messageId already acked. */
  duplicateAcks = 0
  /** Pings sent and not yet answered: their data, by messageId. */
  private readonly pings = new Map<string, string>()
  private readonly acksById = new Map<string, AckRecord>()
  private readonly pongsById = new Map<string, PongRecord>()
  private readonly ackWaiters = new Waiters<AckRecord>(this.acksById)
  private readonly pongWaiters = new Waiters<PongRecord>(this.pongsById)

  /** A ping went out: the bot's frame with this messageId is its pong, which must echo `data`. */
  pinged(messageId: string, data: string): void {
    this.pings.set(messageId, data)
  }

  /** Records the frame as a pong when `messageId` is a ping's; false when it is not. */
  pong(messageId: string, connectionId: string, at: number, frame: Record<string, unknown>): boolean {
    const pingData = this.pings.get(messageId)
    if (pingData === undefined) return false
    this.pings.delete(messageId)
    const pong = { messageId, connectionId, at, sameData: frame.data === pingData, frame }
    this.pongs.push(pong)
    this.pongsById.set(messageId, pong)
    this.pongWaiters.settle(messageId, pong)
    return true
  }

  ack(ack: AckRecord, event?: EventAckRecord): void {
    if (event) this.eventAcks.push(event)
    this.acks.push(ack)
    const { messageId, original } = ack
    if (this.acksById.has(messageId)) {
      this.duplicateAcks++
      return
    }
    this.acksById.set(messageId, ack)
    this.ackWaiters.settle(messageId, ack)
    // Whoever waits for the first push's ack is answered by the ack of a re-push.
    if (original && !this.acksById.has(original)) {
      this.acksById.set(original, ack)
      this.ackWaiters.settle(original, ack)
    }
  }

  waitForAck(messageId: string, timeoutMs: number): Promise<AckRecord> {
    return this.ackWaiters.wait(messageId, timeoutMs, 'ack')
  }

  waitForPong(messageId: string, timeoutMs: number): Promise<PongRecord> {
    return this.pongWaiters.wait(messageId, timeoutMs, 'pong')
  }

  ackFor(messageId: string): AckRecord | undefined {
    return this.acksById.get(messageId)
  }
}
