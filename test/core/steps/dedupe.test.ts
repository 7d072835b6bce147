import t from 'tap'
import { Deduper } from '../../../src/core/dedupe.js'
import { dedupe } from '../../../src/core/steps/dedupe.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { fakeContext, inbound, nextStep, observer } from './fake.js'

t.test('the first delivery goes on and is marked done after; a second is a duplicate', async (t) => {
  const store = new MemoryStore()
  const ledger = new Deduper(store)
  const seen = observer()
  const step = dedupe(ledger, seen)
  const msg = inbound()
  const first = fakeContext({ msg })
  let during: string | undefined
  const { next, calls } = nextStep(async () => {
    during = await store.get(`dedupe:${msg.id}`)
  })
  await step(first.ctx, next)
  t.equal(calls.n, 1)
  t.match(during, /^claimed:/, 'claimed while the rest runs')
  t.equal(await store.get(`dedupe:${msg.id}`), 'done', 'done once through')
  const again = fakeContext({ msg })
  const second = nextStep()
  await step(again.ctx, second.next)
  t.equal(second.calls.n, 0, 'a duplicate goes no further')
  t.equal(again.ctx.outcome, 'duplicate')
  t.equal(seen.seen.duplicates, 1)
  t.equal(again.capture.find('duplicate delivery ignored').length, 1)
})

t.test('a ledger that cannot answer: the message is not handled (it might be answered twice)', async (t) => {
  const { ctx, capture } = fakeContext()
  const { next, calls } = nextStep()
  const broken = { claim: async () => Promise.reject(new Error('disk gone')), done: async () => {} }
  await dedupe(broken)(ctx, next)
  t.equal(calls.n, 0)
  t.equal(ctx.outcome, 'failed')
  t.equal(capture.find('de-duplication ledger unavailable; message not handled').length, 1)
})

t.test('marking done fails: logged, the message stays answered', async (t) => {
  const { ctx, capture } = fakeContext()
  ctx.outcome = 'answered'
  const flaky = { claim: async () => true, done: async () => Promise.reject(new Error('write failed')) }
  await dedupe(flaky)(ctx, nextStep().next)
  t.equal(ctx.outcome, 'answered')
  t.equal(capture.find('could not mark message done').length, 1)
})

t.test('done is marked even when the rest throws', async (t) => {
  const marked: string[] = []
  const ledger = { claim: async () => true, done: async (id: string) => void marked.push(id) }
  const { ctx } = fakeContext()
  await t.rejects(
    dedupe(ledger)(ctx, async () => {
      throw new Error('boom')
    }),
  )
  t.same(marked, [ctx.id])
})
