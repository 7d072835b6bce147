import t, { type Test } from 'tap'
import type { InboundPort, MessageOutcome } from '../../../src/core/port.js'
import type { StreamTransportOptions } from '../../../src/transports/stream/supervisor.js'
import { robotMessage, streamTransport, waitFor } from '../../helpers/index.js'

async function setup(t: Test, handle: InboundPort['handle'], over: Partial<StreamTransportOptions> = {}) {
  const parts = await streamTransport(t, handle, over)
  parts.stream.start()
  await waitFor(() => parts.stream.status().state === 'connected', 3000, 'connected')
  return parts
}

/** Burns CPU like the synchronous part of answering a message does. */
function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

t.test('a burst is acked ahead of the work: the bot gets a few frames per event-loop turn', async (t) => {
  const handled: string[] = []
  const { gw } = await setup(
    t,
    async (msg) => {
      busy(3)
      handled.push(msg.id)
      return 'answered'
    },
    { handoffPerTurn: 2 },
  )
  const payloads = Array.from({ length: 100 }, () => robotMessage())
  const ids = payloads.map((p) => gw.push(p))
  let handledAtLastAck = -1
  await waitFor(
    () => {
      if (ids.every((id) => gw.ackFor(id)) && handledAtLastAck < 0) handledAtLastAck = handled.length
      return handled.length === payloads.length
    },
    10_000,
    'every frame handled',
  )
  t.ok(handledAtLastAck < 50, `all 100 frames acked while ${handledAtLastAck} were handled`)
  t.same(
    handled,
    payloads.map((p) => p.msgId),
    'each frame handed over once, in order',
  )
  t.equal(gw.duplicateAcks, 0)
})

t.test('stop() hands the frames still waiting to the bot, so its drain covers them', async (t) => {
  const handled: string[] = []
  const { gw, stream } = await setup(
    t,
    async (msg) => {
      busy(5)
      handled.push(msg.id)
      return 'answered'
    },
    { handoffPerTurn: 1 },
  )
  const ids = Array.from({ length: 50 }, () => gw.push(robotMessage()))
  await waitFor(() => ids.every((id) => gw.ackFor(id)), 5000, 'every frame acked')
  t.ok(handled.length < 50, `${handled.length} handled when the stop begins`)
  await stream.stop()
  t.equal(handled.length, 50, 'every acked frame went to the bot')
})

t.test('an invalid payload in the backlog is logged and skipped; the rest go on', async (t) => {
  const handled: string[] = []
  const { gw, capture } = await setup(t, async (msg) => {
    handled.push(msg.id)
    return 'answered'
  })
  const good = robotMessage()
  gw.push('{"not": "a robot message"}')
  gw.push('not json')
  gw.push(good)
  await waitFor(() => handled.length === 1, 3000, 'the good frame handled')
  t.same(handled, [good.msgId])
  const dropped = capture.find('invalid robot message acked and dropped')
  t.equal(dropped.length, 2)
  t.ok(dropped.every((l) => typeof l.messageId === 'string' && typeof l.reason === 'string'))
})

t.test(
  'at most maxInFlight messages are with the bot; the rest wait acked; stop() hands over all',
  async (t) => {
    const release: Array<() => void> = []
    let peak = 0
    let open = 0
    const handled: string[] = []
    const { gw, stream } = await setup(
      t,
      (msg) =>
        new Promise<MessageOutcome>((resolve) => {
          open++
          peak = Math.max(peak, open)
          handled.push(msg.id)
          release.push(() => {
            open--
            resolve('answered')
          })
        }),
      { maxInFlight: 3, handoffPerTurn: 10 },
    )
    const ids = Array.from({ length: 10 }, () => gw.push(robotMessage()))
    await waitFor(() => ids.every((id) => gw.ackFor(id)), 3000, 'every frame acked')
    await waitFor(() => handled.length === 3, 3000, 'three handed over')
    await new Promise((r) => setTimeout(r, 50))
    t.equal(handled.length, 3, 'no more while three are in flight')
    release.shift()?.()
    await waitFor(() => handled.length === 4, 3000, 'a settled one makes room for the next')
    t.equal(peak, 3)
    await stream.stop()
    t.equal(handled.length, 10, 'stop() hands every acked frame to the bot, whatever is in flight')
    for (const r of release.splice(0)) r()
  },
)
