import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Bot } from '../../src/core/bot.js'
import type { MessageContext } from '../../src/core/context.js'
import { captureLogger } from '../helpers/index.js'
import { chatSource, inbound } from './steps/fake.js'

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
