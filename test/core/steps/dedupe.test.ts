import t from 'tap'
import { Deduper, eventDedupeKeyspace } from '../../../src/core/dedupe.js'
import { dedupe } from '../../../src/core/steps/dedupe.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { waitFor } from '../../helpers/index.js'
import { fakeContext, fakeEventContext, inbound, inboundEvent, nextStep, observer } from './fake.js'

t.test('the first delivery goes on and is marked done after; a second is a duplicate', async (t) => {
  const store = new MemoryStore()
  const ledger = new Deduper(store)
  const seen = observer()
  const step = dedupe(ledger, { observer: seen })
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
  const broken = {
    acquire: async () => Promise.reject(new Error('disk gone')),
    done: async () => {},
    forget: async () => {},
  }
  const retried: string[] = []
  const inbox = { release: async () => {}, retry: (id: string) => void retried.push(id) }
  await dedupe(broken, { inbox })(ctx, next)
  t.equal(calls.n, 0)
  t.equal(ctx.outcome, 'failed')
  t.equal(capture.find('de-duplication ledger unavailable; not handled, tried again later').length, 1)
  t.same(retried, [ctx.id], 'the message stays owed and is handed back for a later try')
})

t.test('marking done fails: logged, the message stays answered', async (t) => {
  const { ctx, capture } = fakeContext()
  ctx.outcome = 'answered'
  const flaky = {
    acquire: async () => 'claimed' as const,
    done: async () => Promise.reject(new Error('write failed')),
    forget: async () => {},
  }
  await dedupe(flaky)(ctx, nextStep().next)
  t.equal(ctx.outcome, 'answered')
  t.equal(capture.find('could not mark message done').length, 1)
})

t.test('done is marked even when the rest throws', async (t) => {
  const marked: string[] = []
  const ledger = {
    acquire: async () => 'claimed' as const,
    done: async (id: string) => void marked.push(id),
    forget: async () => {},
  }
  const { ctx } = fakeContext()
  await t.rejects(
    dedupe(ledger)(ctx, async () => {
      throw new Error('boom')
    }),
  )
  t.same(marked, [ctx.id])
})

t.test(
  'the inbox entry leaves once the message is done; a duplicate clears it only when answered',
  async (t) => {
    const store = new MemoryStore()
    const ledger = new Deduper(store)
    const released: string[] = []
    const retried: string[] = []
    const inbox = {
      release: async (id: string) => {
        released.push(id)
      },
      retry: (id: string) => void retried.push(id),
    }
    const msg = inbound()
    const order: string[] = []
    const step = dedupe(
      {
        acquire: (id) => ledger.acquire(id),
        done: async (id) => {
          order.push('done')
          await ledger.done(id)
        },
        forget: (id) => ledger.forget(id),
      },
      {
        inbox: {
          release: async (id) => {
            order.push('released')
            released.push(id)
          },
          retry: () => {},
        },
      },
    )
    await step(fakeContext({ msg }).ctx, nextStep().next)
    t.same(order, ['done', 'released'], 'marked done first: a crash in between finds it answered')
    t.same(released, [msg.id])
    await step(fakeContext({ msg }).ctx, nextStep().next)
    t.same(released, [msg.id, msg.id], 'a redelivery of an answered message clears a stale entry')
    const busy = inbound()
    await ledger.acquire(busy.id)
    const elsewhere = fakeContext({ msg: busy })
    await dedupe(ledger, { inbox })(elsewhere.ctx, nextStep().next)
    t.equal(elsewhere.ctx.outcome, 'duplicate')
    t.notOk(released.includes(busy.id), 'being answered elsewhere: its entry stays...')
    t.same(retried, [busy.id], '...and is looked at again later')
    t.notOk(retried.includes(msg.id), 'an answered one is not')
    const failing = fakeContext()
    const away = { release: async () => Promise.reject(new Error('store away')), retry: () => {} }
    await dedupe(ledger, { inbox: away })(failing.ctx, nextStep().next)
    await waitFor(() => failing.capture.find('could not clear the inbox entry').length === 1)
  },
)

t.test('retryFailed (events): a failure is forgotten, so the next push runs again', async (t) => {
  const store = new MemoryStore()
  const ledger = new Deduper(store).forKeyspace(eventDedupeKeyspace)
  const step = dedupe(ledger, { retryFailed: true })
  const event = inboundEvent()
  const first = fakeEventContext(event)
  await step(first.ctx, async () => {
    first.ctx.outcome = 'failed'
  })
  t.equal(await store.get(`dedupe-event:${event.id}`), undefined, 'the claim is gone')
  const second = fakeEventContext(event)
  const { next, calls } = nextStep(() => {
    second.ctx.outcome = 'handled'
  })
  await step(second.ctx, next)
  t.equal(calls.n, 1, 'the re-push runs')
  t.equal(await store.get(`dedupe-event:${event.id}`), 'done')
  const third = fakeEventContext(event)
  await step(third.ctx, nextStep().next)
  t.equal(third.ctx.outcome, 'duplicate', 'handled once: the next copy is a duplicate')
  const thrown = fakeEventContext()
  await t.rejects(
    step(thrown.ctx, async () => {
      throw new Error('boom')
    }),
  )
  t.equal(await store.get(`dedupe-event:${thrown.ctx.id}`), undefined, 'a throw is a failure too')
})

t.test('retryFailed: a copy that arrives while the first is handled waits for its outcome', async (t) => {
  const store = new MemoryStore()
  const ledger = new Deduper(store, { leaseMs: 1_000, ttlMs: 10_000 }).forKeyspace(eventDedupeKeyspace)
  const step = dedupe(ledger, { retryFailed: true })
  const event = inboundEvent()
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const ran: string[] = []
  const first = fakeEventContext(event)
  const firstRun = step(first.ctx, async () => {
    ran.push('first')
    await gate
    first.ctx.outcome = 'failed'
  })
  const copy = fakeEventContext(event)
  const copyRun = step(copy.ctx, async () => {
    ran.push('copy')
    copy.ctx.outcome = 'handled'
  })
  await waitFor(() => ran.length === 1)
  t.equal(copy.ctx.outcome, 'ignored', 'still waiting')
  release()
  await Promise.all([firstRun, copyRun])
  t.same(ran, ['first', 'copy'], 'the first failed: the copy takes over')
  t.equal(copy.ctx.outcome, 'handled')
  const messages = dedupe(new Deduper(store))
  const msg = fakeContext()
  let held: () => void = () => {}
  const busy = messages(msg.ctx, () => new Promise<void>((r) => (held = r)))
  const again = fakeContext({ msg: msg.ctx.msg })
  await messages(again.ctx, nextStep().next)
  t.equal(again.ctx.outcome, 'duplicate', 'without retryFailed: a duplicate at once')
  held()
  await busy
})

t.test('retryFailed: a claim that cannot be forgotten is logged', async (t) => {
  const { ctx, capture } = fakeEventContext()
  const ledger = {
    acquire: async () => 'claimed' as const,
    done: async () => {},
    forget: async () => Promise.reject(new Error('store away')),
  }
  await dedupe(ledger, { retryFailed: true })(ctx, async () => {
    ctx.outcome = 'failed'
  })
  t.equal(capture.find('could not forget the claim').length, 1)
})
