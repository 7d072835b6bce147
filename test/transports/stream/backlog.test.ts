import t from 'tap'
import type { InboundMessage } from '../../../src/core/message.js'
import type { InboundPort, MessageOutcome } from '../../../src/core/port.js'
import { Backlog, type BacklogOptions, type ReceivedFrame } from '../../../src/transports/stream/backlog.js'
import { captureLogger, robotMessage } from '../../helpers/index.js'

/** A port that records what it gets; each message settles when the test says so. */
class FakePort implements InboundPort {
  readonly got: InboundMessage[] = []
  /** What `keep` answers: recorded (true), a redelivery (false), or a store that failed. */
  keeps: (msg: InboundMessage) => Promise<boolean> = () => Promise.resolve(true)
  readonly kept: string[] = []
  private readonly settle: Array<(o: MessageOutcome) => void> = []
  behaviour: (msg: InboundMessage) => Promise<MessageOutcome> | 'held' = () => 'held'

  handle(msg: InboundMessage): Promise<MessageOutcome> {
    this.got.push(msg)
    const b = this.behaviour(msg)
    if (b !== 'held') return b
    return new Promise((resolve) => this.settle.push(resolve))
  }

  keep(msg: InboundMessage): Promise<boolean> {
    this.kept.push(msg.id)
    return this.keeps(msg)
  }

  event(): Promise<'ignored'> {
    return Promise.resolve('ignored')
  }

  cardAction(): Promise<{ outcome: 'ignored' }> {
    return Promise.resolve({ outcome: 'ignored' })
  }

  busy(): boolean {
    return false
  }

  /** Settles the oldest held message. */
  release(): void {
    this.settle.shift()?.('answered')
  }

  get ids(): string[] {
    return this.got.map((m) => m.id)
  }
}

const answer = (): Promise<MessageOutcome> => Promise.resolve('answered')

let seq = 0
/** Frame ids acked, in order, across the test file. */
const acked: string[] = []
function frame(data: unknown = robotMessage()): ReceivedFrame & { msgId: string } {
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  const msgId = typeof data === 'object' && data !== null ? String((data as { msgId: unknown }).msgId) : ''
  const messageId = `frame-${++seq}`
  return {
    data: text,
    messageId,
    receivedAt: 1000 + seq,
    msgId,
    ack: () => {
      acked.push(messageId)
      return true
    },
  }
}

/** The keeps (microtasks) of the frames pushed so far have settled: their messages are queued. */
const kept = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve()
}

function backlog(over: Partial<BacklogOptions> = {}) {
  const port = new FakePort()
  const { log, capture } = captureLogger()
  const b = new Backlog({ port, log, handoffPerTurn: 3, maxInFlight: 100, ...over })
  return { b, port, capture }
}

/** One event-loop turn: the backlog's setImmediate, queued before this one, has run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

t.test('frames go to the port a few per event-loop turn, in order, as messages', async (t) => {
  const { b, port } = backlog({ handoffPerTurn: 3 })
  port.behaviour = answer
  const frames = Array.from({ length: 10 }, () => frame())
  for (const f of frames) b.push(f)
  t.equal(port.got.length, 0, 'nothing is handed over on the ack path')
  t.equal(b.pending, 10)
  await kept()
  const perTurn: number[] = []
  while (port.got.length < 10 && perTurn.length < 10) {
    await turn()
    perTurn.push(port.got.length)
  }
  t.same(perTurn, [3, 6, 9, 10])
  t.equal(b.pending, 0)
  t.same(
    port.ids,
    frames.map((f) => f.msgId),
  )
  const first = frames[0] as ReceivedFrame
  t.match(port.got[0], { transport: 'stream', receivedAt: first.receivedAt })
})

t.test('at most maxInFlight with the port; a settled one makes room for the next', async (t) => {
  const { b, port } = backlog({ handoffPerTurn: 10, maxInFlight: 2 })
  for (let i = 0; i < 5; i++) b.push(frame())
  for (let i = 0; i < 5; i++) await turn()
  t.equal(port.got.length, 2, 'two in flight, no more')
  t.equal(b.inFlight, 2)
  t.equal(b.pending, 3)
  port.release()
  for (let i = 0; i < 3; i++) await turn()
  t.equal(port.got.length, 3)
  t.equal(b.inFlight, 2)
  t.equal(b.pending, 2)
  port.release()
  port.release()
  for (let i = 0; i < 3; i++) await turn()
  t.equal(port.got.length, 5)
  t.equal(b.pending, 0)
})

t.test('flush() hands every waiting frame to the port at once, whatever is in flight', async (t) => {
  const { b, port } = backlog({ handoffPerTurn: 1, maxInFlight: 1 })
  const frames = Array.from({ length: 20 }, () => frame())
  for (const f of frames) b.push(f)
  await kept()
  await turn()
  t.equal(port.got.length, 1)
  b.flush()
  t.equal(port.got.length, 20, 'synchronously, before stop() returns')
  t.equal(b.pending, 0)
  t.equal(b.inFlight, 20)
  t.same(
    port.ids,
    frames.map((f) => f.msgId),
  )
  for (let i = 0; i < 20; i++) port.release()
  await turn()
  t.equal(b.inFlight, 0)
})

t.test('a port that throws or rejects is logged and does not stall the backlog', async (t) => {
  const { b, port, capture } = backlog({ handoffPerTurn: 1, maxInFlight: 1 })
  let n = 0
  port.behaviour = () => {
    n++
    if (n === 1) throw new Error('sync boom')
    if (n === 2) return Promise.reject(new Error('async boom'))
    return answer()
  }
  const frames = [frame(), frame(), frame(), frame()]
  for (const f of frames) b.push(f)
  for (let i = 0; i < 10 && port.got.length < 4; i++) await turn()
  t.equal(port.got.length, 4, 'with an in-flight cap of 1, each failure still made room')
  await turn()
  t.equal(b.inFlight, 0)
  const failed = capture.find('message handling failed')
  t.same(
    failed.map((l) => (l.err as { message: string }).message),
    ['sync boom', 'async boom'],
  )
  t.same(
    failed.map((l) => [l.messageId, l.msgId]),
    frames.slice(0, 2).map((f) => [f.messageId, f.msgId]),
  )
})

t.test('an invalid frame is logged by its frame id and reason, and skipped', async (t) => {
  const { b, port, capture } = backlog()
  port.behaviour = answer
  const bad = frame('{"msgId": "abc", "text": "private words"')
  const good = frame()
  b.push(bad)
  b.push(good)
  t.ok(acked.includes(bad.messageId), 'acked at once: pushed again it would be just as invalid')
  await kept()
  await turn()
  t.same(port.ids, [good.msgId])
  t.same(
    capture.find('invalid robot message acked and dropped').map((l) => [l.messageId, l.reason]),
    [[bad.messageId, 'data is not JSON']],
  )
  t.notOk(capture.raw.includes('private words'), 'no frame content in the log')
})

t.test('a long backlog keeps order and count across the compaction of its front', async (t) => {
  const { b, port } = backlog({ handoffPerTurn: 1100, maxInFlight: 100_000 })
  port.behaviour = answer
  const frames = Array.from({ length: 1500 }, () => frame())
  for (const f of frames) b.push(f)
  await kept()
  await turn()
  t.equal(port.got.length, 1100)
  t.equal(b.pending, 400, 'the rest still waits after the front was dropped')
  b.push(frame())
  await kept()
  await turn()
  t.equal(port.got.length, 1501)
  t.equal(b.pending, 0)
  t.same(
    port.ids.slice(0, 1500),
    frames.map((f) => f.msgId),
  )
})

t.test('a frame is acked only once the core has kept it; then its message waits its turn', async (t) => {
  const { b, port } = backlog()
  port.behaviour = answer
  let commit: (v: boolean) => void = () => {}
  port.keeps = () => new Promise((resolve) => (commit = resolve))
  const f = frame()
  b.push(f)
  await turn()
  t.same(port.kept, [f.msgId], 'kept first')
  t.notOk(acked.includes(f.messageId), 'not acked before the keep is committed')
  t.equal(port.got.length, 0)
  commit(true)
  await kept()
  t.ok(acked.includes(f.messageId), 'acked once kept')
  await turn()
  t.same(port.ids, [f.msgId])
})

t.test('a redelivery of a message on its way is acked and not handed over twice', async (t) => {
  const { b, port } = backlog()
  port.behaviour = answer
  port.keeps = () => Promise.resolve(false)
  const f = frame()
  b.push(f)
  await kept()
  await turn()
  t.ok(acked.includes(f.messageId))
  t.equal(port.got.length, 0)
  t.equal(b.pending, 0)
})

t.test('a frame that cannot be kept is not acked (DingTalk pushes it again), and says why', async (t) => {
  const { b, port, capture } = backlog()
  port.keeps = () => Promise.reject(new Error('disk full'))
  const f = frame()
  b.push(f)
  await kept()
  await turn()
  t.notOk(acked.includes(f.messageId))
  t.equal(port.got.length, 0)
  t.match(capture.find('message could not be kept; not acked, DingTalk pushes it again')[0], {
    messageId: f.messageId,
    msgId: f.msgId,
    err: { message: 'disk full' },
  })
  t.equal(b.pending, 0)
})

t.test('full at maxPending (kept, waiting or in flight): the socket pauses; read again at 3/4', async (t) => {
  const events: string[] = []
  const { b, port } = backlog({
    maxPending: 8,
    maxInFlight: 4,
    handoffPerTurn: 10,
    onFull: () => events.push('full'),
    onRoom: () => events.push('room'),
  })
  for (let i = 0; i < 7; i++) b.push(frame())
  t.same(events, [])
  b.push(frame())
  t.same(events, ['full'], 'the eighth message fills it')
  await kept()
  await turn()
  t.equal(b.inFlight, 4)
  t.equal(b.pending, 4)
  port.release()
  await turn()
  t.same(events, ['full'], 'seven: still above three quarters')
  port.release()
  await turn()
  t.same(events, ['full', 'room'], 'six: room again')
  for (let i = 0; i < 6; i++) {
    port.release()
    await turn()
  }
  t.equal(b.inFlight + b.pending, 0)
})

t.test('events held while the core has them count towards maxPending with the messages', async (t) => {
  const events: string[] = []
  const { b } = backlog({
    maxPending: 4,
    onFull: () => events.push('full'),
    onRoom: () => events.push('room'),
  })
  b.push(frame())
  b.push(frame())
  const first = b.hold()
  t.same(events, [])
  t.equal(b.pending, 3)
  const second = b.hold()
  t.same(events, ['full'], 'two messages and two events fill it')
  first()
  first()
  t.equal(b.pending, 3, 'a release counts once')
  t.same(events, ['full', 'room'], 'three of four: room again')
  second()
  t.equal(b.pending, 2)
})
