import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Bot } from '../../src/core/bot.js'
import type { MessageContext } from '../../src/core/context.js'
import type { EventFlowContext } from '../../src/core/event-context.js'
import { captureLogger } from '../helpers/index.js'
import { chatSource, inbound, inboundEvent } from './steps/fake.js'

function bot(flow: (ctx: MessageContext) => Promise<void>) {
  const { log, capture } = captureLogger()
  return { bot: new Bot({ flow, chat: chatSource({ locale: 'en' }), log, clock: () => 42 }), capture }
}

t.test('one context per message through the flow; the outcome is what the flow decided', async (t) => {
  const seen: MessageContext[] = []
  const { bot: b } = bot(async (ctx) => {
    seen.push(ctx)
    ctx.outcome = 'answered'
  })
  const msg = inbound({ text: 'help' })
  t.equal(await b.handle(msg), 'answered')
  t.equal(await b.handle(inbound()), 'answered')
  t.equal(seen.length, 2)
  t.not(seen[0], seen[1], 'a fresh context each time')
  t.equal(seen[0]?.msg, msg)
  t.equal(seen[0]?.id, msg.id)
  t.equal(seen[0]?.started, 42)
  t.equal(await seen[0]?.chatLocale(), 'en', 'settings come from the chat source')
  const sink = { offer: () => true }
  await b.handle(inbound(), sink)
  t.equal(seen[2]?.sink, sink, 'the transport sink travels with the message')
})

t.test('a flow that throws: the message failed, logged; handle never throws', async (t) => {
  const { bot: b, capture } = bot(async () => {
    throw new Error('a step above the report broke')
  })
  t.equal(await b.handle(inbound()), 'failed')
  t.equal(capture.find('message handling failed').length, 1)
})

t.test('drain: no new messages, the ones in flight finish (bounded)', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const { bot: b } = bot(async (ctx) => {
    await gate
    ctx.outcome = 'answered'
  })
  const first = b.handle(inbound())
  t.equal(b.pending, 1)
  t.same(await b.drain(30), { pending: 1 }, 'the bound ends the wait')
  t.equal(await b.handle(inbound()), 'rejected', 'draining: nothing new')
  const drained = b.drain(5_000)
  await sleep(5)
  release()
  t.same(await drained, { pending: 0 }, 'done as soon as the last one is')
  t.equal(await first, 'answered')
})

t.test(
  'an event goes through the event flow with its own context and logger; its outcome comes back',
  async (t) => {
    const { log, capture } = captureLogger()
    const seen: EventFlowContext[] = []
    const b = new Bot({
      flow: async () => {},
      eventFlow: async (ctx) => {
        seen.push(ctx)
        ctx.log.info('inside')
        ctx.outcome = 'handled'
      },
      chat: chatSource(),
      log,
      clock: () => 42,
    })
    const event = inboundEvent({ id: 'evtBot1', type: 'meeting_member_status_change' })
    t.equal(await b.event(event), 'handled')
    t.equal(seen[0]?.event, event)
    t.equal(seen[0]?.id, 'evtBot1')
    t.equal(seen[0]?.transport, 'stream')
    t.equal(seen[0]?.started, 42)
    t.match(capture.find('inside')[0], {
      eventId: 'evtBot1',
      eventType: 'meeting_member_status_change',
      transport: 'stream',
    })
    const bare = bot(async () => {}).bot
    t.equal(await bare.event(inboundEvent()), 'ignored', 'no event flow: nobody handles events')
  },
)

t.test('an event flow that throws: failed, logged; event never throws', async (t) => {
  const { log, capture } = captureLogger()
  const b = new Bot({
    flow: async () => {},
    eventFlow: async () => {
      throw new Error('a step above the report broke')
    },
    chat: chatSource(),
    log,
  })
  t.equal(await b.event(inboundEvent()), 'failed')
  t.equal(capture.find('event handling failed').length, 1)
})

t.test('events count in flight like messages: busy, and the drain waits for them', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const { log } = captureLogger()
  const b = new Bot({
    flow: async () => {},
    eventFlow: async (ctx) => {
      await gate
      ctx.outcome = 'handled'
    },
    chat: chatSource(),
    log,
    maxPending: 2,
  })
  const first = b.event(inboundEvent())
  t.equal(b.pending, 1)
  t.equal(b.busy(), false)
  const second = b.event(inboundEvent())
  t.equal(b.busy(), true, 'at the bound: transports push back')
  const drained = b.drain(5_000)
  t.equal(await b.event(inboundEvent()), 'failed', 'draining: not handled here, to be pushed again')
  await sleep(5)
  t.equal(b.pending, 2, 'the drain waits for them')
  release()
  t.same(await drained, { pending: 0 })
  t.equal(await first, 'handled')
  t.equal(await second, 'handled')
})
