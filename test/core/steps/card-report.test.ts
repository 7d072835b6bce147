import t from 'tap'
import type { CardActionReport, FlowObserver } from '../../../src/core/context.js'
import { cardActionReport, report } from '../../../src/core/steps/report.js'
import { fakeCardContext, inboundClick } from './card-fake.js'

function observer() {
  const seen: CardActionReport[] = []
  const obs: FlowObserver = {
    handled: () => {},
    event: () => {},
    duplicate: () => {},
    rateLimited: () => {},
    cardAction: (_ctx, r) => void seen.push(r),
  }
  return { obs, seen }
}

const KNOWN = new Set(['refresh', 'members'])

t.test('one audit line per click: card, action, user, outcome, duration, ref; counted', async (t) => {
  const { obs, seen } = observer()
  const click = inboundClick({
    id: 'clk1',
    outTrackId: 'mtg-a',
    action: 'members',
    userId: 'u7',
    transport: 'http',
  })
  const { ctx, capture } = fakeCardContext(click)
  let now = 1_000
  await report(() => now, cardActionReport(obs, KNOWN))(ctx, async () => {
    now = 1_030
    ctx.outcome = 'handled'
  })
  const lines = capture.find('card action handled')
  t.equal(lines.length, 1)
  t.match(lines[0], {
    level: 30,
    audit: true,
    clickId: 'clk1',
    outTrackId: 'mtg-a',
    action: 'members',
    userId: 'u7',
    transport: 'http',
    outcome: 'handled',
    result: 'ok',
    durationMs: 30,
  })
  t.equal(lines[0]?.ref, undefined, 'no ref without a failure')
  t.same(seen, [{ action: 'members', outcome: 'handled', durationMs: 30 }])
})

t.test(
  'an action nobody answers is counted as other; a step that throws: failed, logged, reported',
  async (t) => {
    const { obs, seen } = observer()
    const { ctx, capture } = fakeCardContext(inboundClick({ action: 'made_up_by_someone' }))
    await report(() => 1_000, cardActionReport(obs, KNOWN))(ctx, async () => {
      throw new Error('unexpected')
    })
    t.equal(ctx.outcome, 'failed')
    t.match(capture.find('card action handling failed'), [{ err: { message: 'unexpected' } }])
    t.match(capture.find('card action handled'), [{ outcome: 'failed', action: 'made_up_by_someone' }])
    t.same(seen, [{ action: 'other', outcome: 'failed', durationMs: 0 }])
  },
)

t.test('an observer without the click hook is fine', async (t) => {
  const { ctx, capture } = fakeCardContext()
  const bare: FlowObserver = {
    handled: () => {},
    event: () => {},
    duplicate: () => {},
    rateLimited: () => {},
  }
  await report(() => 1_000, cardActionReport(bare, KNOWN))(ctx, async () => {})
  t.equal(capture.find('card action handled').length, 1)
})
