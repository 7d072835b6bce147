import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type {
  CardActionContext,
  CardActionHandler,
  CardActionResult,
  InboundCardAction,
} from '../../../src/core/card-action.js'
import { TOPIC_ROBOT } from '../../../src/emulator/gateway.js'
import { CARD_ANSWER_MS, type CardCallbackAnswer } from '../../../src/transports/card-callback.js'
import { CardIntake } from '../../../src/transports/stream/card-intake.js'
import { TOPIC_CARD } from '../../../src/transports/stream/connection.js'
import { clickBody, clickCore } from '../../core/steps/card-fake.js'
import { captureLogger, streamTransport, waitFor } from '../../helpers/index.js'

/** An intake whose port answers `answer`; records acks, bad frames and what is held. */
function intake(answer: (a: InboundCardAction) => Promise<CardActionResult>, answerWithinMs = 200) {
  const { log, capture } = captureLogger()
  const got: InboundCardAction[] = []
  const bad: string[] = []
  const held = { now: 0, max: 0 }
  const cards = new CardIntake({
    port: {
      cardAction: (a) => {
        got.push(a)
        return answer(a)
      },
    },
    log,
    clock: () => 777,
    badFrame: (reason) => bad.push(reason),
    hold: () => {
      held.now++
      held.max = Math.max(held.max, held.now)
      return () => void held.now--
    },
    answerWithinMs,
  })
  const acks: CardCallbackAnswer[] = []
  const take = (data: unknown = JSON.stringify(clickBody()), open = true) =>
    cards.take(data, 'frame-1', (a) => {
      if (open) acks.push(a)
      return open
    })
  return { take, got, bad, held, acks, capture }
}

t.test('a click goes to the port, held while it works, acked with its card data after', async (t) => {
  let settle: (r: CardActionResult) => void = () => {}
  const s = intake(() => new Promise((r) => (settle = r)))
  s.take()
  t.equal(s.got.length, 1)
  t.match(s.got[0], { transport: 'stream', receivedAt: 777, action: 'refresh', userId: 'manager4821' })
  t.same(s.acks, [], 'no ack before the core is through')
  t.equal(s.held.now, 1, 'counted towards the bound meanwhile')
  settle({ outcome: 'handled', data: { activeNum: '7' } })
  await waitFor(() => s.acks.length === 1)
  t.same(s.acks, [
    {
      response: {
        cardData: { cardParamMap: { activeNum: '7' } },
        cardUpdateOptions: { updateCardDataByKey: true },
      },
    },
  ])
  t.equal(s.held.now, 0)
})

t.test('the core slower than the bound: acked empty then, held until it is through', async (t) => {
  let settle: (r: CardActionResult) => void = () => {}
  const s = intake(() => new Promise((r) => (settle = r)), 40)
  s.take()
  await waitFor(() => s.acks.length === 1)
  t.same(s.acks, [{ response: {} }])
  t.equal(s.held.now, 1, 'the flow goes on, still counted')
  t.match(s.capture.find('card click answered empty: its handler is still working'), [{ withinMs: 40 }])
  settle({ outcome: 'handled', data: { a: 'b' } })
  await waitFor(() => s.held.now === 0)
  await sleep(10)
  t.equal(s.acks.length, 1, 'acked once')
})

t.test('a frame that is no click: acked empty at once, reported, never handed over', async (t) => {
  const s = intake(async () => ({ outcome: 'handled' }))
  s.take('{not json')
  s.take(JSON.stringify({ ...clickBody(), userId: undefined }))
  s.take(7)
  t.same(s.acks, [{ response: {} }, { response: {} }, { response: {} }])
  t.same(s.bad, [
    'card CALLBACK data is not JSON',
    'callback without a usable userId',
    'card CALLBACK frame without data',
  ])
  t.equal(s.got.length, 0)
  t.equal(s.held.max, 0)
})

t.test(
  'a port that throws or rejects: logged, acked empty; a socket gone before the ack: logged',
  async (t) => {
    const thrower = intake(() => {
      throw new Error('sync')
    })
    thrower.take()
    await waitFor(() => thrower.acks.length === 1)
    t.same(thrower.acks, [{ response: {} }])
    t.match(thrower.capture.find('card action handling failed'), [{ err: { message: 'sync' } }])
    t.equal(thrower.held.now, 0)

    const gone = intake(async () => ({ outcome: 'handled', data: { a: 'b' } }))
    gone.take(7, false)
    gone.take(JSON.stringify(clickBody()), false)
    await waitFor(
      () =>
        gone.capture.find('socket closed before the card click ack; DingTalk pushes it again').length === 1,
    )
  },
)

/** A bare StreamTransport on the emulator's gateway, in front of a core composed as createBot does it. */
async function cardStream(
  t: Parameters<typeof streamTransport>[0],
  actions: Record<string, CardActionHandler>,
) {
  const core = clickCore(actions)
  const s = await streamTransport(t, async () => 'ignored', { port: core.bot, subscribeCards: true })
  s.stream.start()
  await waitFor(() => s.stream.status().state === 'connected', 5000, 'connected')
  const push = (body: unknown) => s.gw.push(body, { topic: TOPIC_CARD, subscribed: true })
  const ackData = async (messageId: string) => {
    const ack = await s.gw.waitForAck(messageId)
    return { ack, data: JSON.parse(String(ack.frame.data)) as unknown }
  }
  return { ...s, core, push, ackData }
}

t.test('over Stream: a click is acked on its frame with the handler’s card data, within 2 s', async (t) => {
  const calls: CardActionContext[] = []
  const s = await cardStream(t, {
    refresh: async (ctx) => {
      calls.push(ctx)
      return { activeNum: '7' }
    },
  })
  t.same(
    s.gw.lastSubscriptions,
    [
      { type: 'CALLBACK', topic: TOPIC_ROBOT },
      { type: 'CALLBACK', topic: TOPIC_CARD },
    ],
    'the open call subscribes to card clicks',
  )
  const messageId = s.push(clickBody({ action: 'refresh' }))
  const { ack, data } = await s.ackData(messageId)
  t.same(ack.frame.headers, { contentType: 'application/json', messageId }, 'on the frame’s messageId')
  t.equal(ack.code, 200)
  t.same(data, {
    response: {
      cardData: { cardParamMap: { activeNum: '7' } },
      cardUpdateOptions: { updateCardDataByKey: true },
    },
  })
  t.ok((ack.latencyMs ?? Number.POSITIVE_INFINITY) < 2000, `acked in ${Math.round(ack.latencyMs ?? -1)} ms`)
  t.equal(calls.length, 1)
  t.match(calls[0]?.action, { transport: 'stream', outTrackId: 'mtg-7e2d4b6a-cidK3nV8-1764724200' })

  // The same click again (a re-push has a new messageId): a duplicate, answered empty.
  const again = s.push(clickBody({ action: 'refresh' }))
  t.same((await s.ackData(again)).data, { response: {} })
  t.equal(calls.length, 1, 'ran once')
  t.equal(s.stream.status().messages, 0, 'clicks are not robot messages: not in the backlog')
})

t.test('over Stream: a handler slower than 1.5 s is acked empty in time; no re-push', async (t) => {
  let finished = false
  const s = await cardStream(t, {
    refresh: async () => {
      await sleep(CARD_ANSWER_MS + 400)
      finished = true
      return { note: 'late' }
    },
  })
  const messageId = s.push(clickBody({ action: 'refresh' }))
  const { ack, data } = await s.ackData(messageId)
  t.same(data, { response: {} })
  const ms = ack.latencyMs ?? Number.POSITIVE_INFINITY
  t.ok(ms >= CARD_ANSWER_MS - 50 && ms < 2000, `acked empty within 2 s (${Math.round(ms)} ms)`)
  t.equal(finished, false, 'the handler still works')
  await waitFor(() => finished, 3000, 'the handler finishing')
  await sleep(600)
  t.equal(s.gw.redelivered, 0, 'acked in time: DingTalk does not push it again')
})

t.test('over Stream: a junk frame on the card topic is acked empty and reported; no crash', async (t) => {
  let ran = 0
  const s = await cardStream(t, { refresh: async () => void ran++ })
  const junk = s.push('LEAK-ME not json')
  t.same((await s.ackData(junk)).data, { response: {} })
  const odd = s.push({ outTrackId: 'x', userId: 'y', content: '{"LEAK-ME":1}' })
  t.same((await s.ackData(odd)).data, { response: {} })
  t.match(
    s.capture.find('unusable stream frame ignored').map((l) => l.reason),
    ['card CALLBACK data is not JSON', 'callback content without cardPrivateData'],
  )
  t.notOk(s.capture.raw.includes('LEAK-ME'), 'no frame content in the logs')
  const good = s.push(clickBody({ action: 'refresh' }))
  await s.ackData(good)
  t.equal(ran, 1, 'the connection still works')
  t.equal(s.stream.status().state, 'connected')
})

t.test('without subscribeCards the card topic is not subscribed', async (t) => {
  const s = await streamTransport(t, async () => 'ignored')
  s.stream.start()
  await waitFor(() => s.stream.status().state === 'connected', 5000, 'connected')
  t.same(s.gw.lastSubscriptions, [{ type: 'CALLBACK', topic: TOPIC_ROBOT }])
  t.throws(
    () => s.gw.push(clickBody(), { topic: TOPIC_CARD, subscribed: true }),
    /no live stream connection subscribed/,
  )
})
