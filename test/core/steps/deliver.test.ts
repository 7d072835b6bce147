import t from 'tap'
import { textReply } from '../../../src/core/reply.js'
import type { DeliverRequest } from '../../../src/core/steps/deliver.js'
import { deliver } from '../../../src/core/steps/deliver.js'
import { fakeContext, textOf } from './fake.js'

function recorder(answer: (req: DeliverRequest) => Promise<string>) {
  const requests: DeliverRequest[] = []
  return {
    requests,
    deliver: (req: DeliverRequest) => {
      requests.push(req)
      return answer(req)
    },
  }
}

t.test('after the rest: the reply goes out, with the sink; the path is recorded', async (t) => {
  const d = recorder(async () => 'webhook')
  const sink = { offer: () => false }
  const { ctx } = fakeContext({ sink })
  let beforeDelivery = -1
  await deliver(d)(ctx, async () => {
    beforeDelivery = d.requests.length
    ctx.reply = textReply('hello')
  })
  t.equal(beforeDelivery, 0, 'nothing is sent before the steps below have decided')
  t.equal(d.requests.length, 1)
  t.equal(d.requests[0]?.msg, ctx.msg)
  t.equal(d.requests[0]?.sink, sink)
  t.equal(textOf(d.requests[0]?.reply), 'hello')
  t.equal(ctx.path, 'webhook')
  t.equal(ctx.outcome, 'answered')
})

t.test('the slow-down notice is made on demand, in the chat language', async (t) => {
  const d = recorder(async () => 'webhook')
  const { ctx } = fakeContext({ settings: { locale: 'en' } })
  await deliver(d)(ctx, async () => {
    ctx.reply = textReply('x')
  })
  const notice = await d.requests[0]?.slowDownNotice?.()
  t.match(textOf(notice), 'more messages than DingTalk lets me answer right away')
})

t.test('nothing to say: nothing sent, the message is ignored', async (t) => {
  const d = recorder(async () => 'inline')
  const { ctx } = fakeContext()
  await deliver(d)(ctx, async () => {})
  t.equal(d.requests.length, 0)
  t.equal(ctx.outcome, 'ignored')
})

t.test('a reply that cannot be delivered: failed, logged with the reason', async (t) => {
  const d = recorder(async () =>
    Promise.reject(Object.assign(new Error('over budget'), { reason: 'flooded' })),
  )
  const { ctx, capture } = fakeContext()
  await deliver(d)(ctx, async () => {
    ctx.command = 'meeting'
    ctx.reply = textReply('x')
  })
  t.equal(ctx.outcome, 'failed')
  t.match(capture.find('reply not delivered')[0], { reason: 'flooded', command: 'meeting' })
  const plain = recorder(async () => Promise.reject(new Error('no reason given')))
  const other = fakeContext()
  await deliver(plain)(other.ctx, async () => {
    other.ctx.reply = textReply('x')
  })
  t.match(other.capture.find('reply not delivered')[0], { reason: 'failed' })
})
