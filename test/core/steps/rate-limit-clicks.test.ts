import t from 'tap'
import { UserRateLimiter } from '../../../src/core/rate-limit.js'
import { clickRateKey, rateLimitClicks } from '../../../src/core/steps/rate-limit-clicks.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { fakeCardContext, inboundClick } from './card-fake.js'
import { nextStep } from './fake.js'

t.test('per person: under the limit on; over it ignored, rate-limited, logged, no data', async (t) => {
  const step = rateLimitClicks(new UserRateLimiter(new MemoryStore(), { limit: 2, windowMs: 60_000 }))
  const runs: Array<[number, string, string]> = []
  let lastCapture: ReturnType<typeof fakeCardContext>['capture'] | undefined
  for (let i = 0; i < 4; i++) {
    const { ctx, capture } = fakeCardContext(inboundClick({ userId: 'busyUser' }))
    const { next, calls } = nextStep()
    await step(ctx, next)
    runs.push([calls.n, ctx.result, ctx.outcome])
    lastCapture = capture
  }
  t.same(runs, [
    [1, 'ok', 'ignored'],
    [1, 'ok', 'ignored'],
    [0, 'rate-limited', 'ignored'],
    [0, 'rate-limited', 'ignored'],
  ])
  t.match(lastCapture?.find('card clicks over the rate limit'), [{ userId: 'busyUser', verdict: 'ignore' }])
  const other = fakeCardContext(inboundClick({ userId: 'calmUser' }))
  const { next, calls } = nextStep()
  await step(other.ctx, next)
  t.equal(calls.n, 1, 'another person has a budget of their own')
})

t.test('clicks have a budget apart from the same person’s messages', async (t) => {
  const store = new MemoryStore()
  const limiter = new UserRateLimiter(store, { limit: 1, windowMs: 60_000 })
  t.equal(await limiter.check('manager4821'), 'allow', 'a message uses the message budget')
  t.equal(await limiter.check('manager4821'), 'refuse', 'and exhausts it')
  const { ctx } = fakeCardContext(inboundClick({ userId: 'manager4821' }))
  const { next, calls } = nextStep()
  await rateLimitClicks(limiter)(ctx, next)
  t.equal(calls.n, 1, 'the click still goes on')
  t.equal(clickRateKey('manager4821'), 'click:manager4821')
})

t.test('a limiter that fails lets the click through', async (t) => {
  const { ctx } = fakeCardContext()
  const { next, calls } = nextStep()
  await rateLimitClicks({ check: async () => Promise.reject(new Error('store away')) })(ctx, next)
  t.equal(calls.n, 1)
  t.equal(ctx.result, 'ok')
})
