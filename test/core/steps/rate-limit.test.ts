import t from 'tap'
import { UserRateLimiter } from '../../../src/core/rate-limit.js'
import { rateLimit } from '../../../src/core/steps/rate-limit.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { fakeContext, inbound, nextStep, observer, textOf } from './fake.js'

t.test('under the limit: on; the first over: told once; later ones: ignored, all counted', async (t) => {
  const seen = observer()
  const step = rateLimit(new UserRateLimiter(new MemoryStore(), { limit: 1, windowMs: 60_000 }), seen)
  const results: Array<{ next: number; reply: string; result: string }> = []
  for (let i = 0; i < 3; i++) {
    const { ctx } = fakeContext({ settings: { locale: 'en' } })
    const { next, calls } = nextStep()
    await step(ctx, next)
    results.push({ next: calls.n, reply: textOf(ctx.reply), result: ctx.result })
  }
  t.same(
    results.map((r) => [r.next, r.result]),
    [
      [1, 'ok'],
      [0, 'rate-limited'],
      [0, 'rate-limited'],
    ],
  )
  t.equal(
    results[1]?.reply,
    '@manager4821 You are sending me commands faster than I answer them; please wait a minute.',
  )
  t.equal(results[2]?.reply, '', 'silence after the one refusal')
  t.same(seen.seen.rateLimited, ['refused', 'ignored'])
})

t.test('a limiter that fails lets the message through', async (t) => {
  const { ctx } = fakeContext()
  const { next, calls } = nextStep()
  await rateLimit({ check: async () => Promise.reject(new Error('store away')) })(ctx, next)
  t.equal(calls.n, 1)
})

t.test('senders are told apart by staff id, else by sender id', async (t) => {
  const keys: string[] = []
  const step = rateLimit({
    check: async (key) => {
      keys.push(key)
      return 'allow'
    },
  })
  await step(fakeContext().ctx, nextStep().next)
  await step(
    fakeContext({ msg: inbound({ senderStaffId: '', senderId: '$:outsider' }) }).ctx,
    nextStep().next,
  )
  // The same staff id in another org is another person: every key names the org.
  await step(fakeContext({ msg: inbound({ chatbotCorpId: 'dingcorpOther' }) }).ctx, nextStep().next)
  await step(fakeContext({ msg: inbound({ chatbotCorpId: undefined }) }).ctx, nextStep().next)
  t.same(keys, [
    'dingcorp5e8a1f2b/manager4821',
    'dingcorp5e8a1f2b/$:outsider',
    'dingcorpOther/manager4821',
    'manager4821',
  ])
})
