import t from 'tap'
import type { CardActionContext, CardActionHandler } from '../../../src/core/card-action.js'
import { Failures } from '../../../src/core/errors.js'
import { compose } from '../../../src/core/pipeline.js'
import { cardActionFailed, dispatchCardAction } from '../../../src/core/steps/dispatch-card-action.js'
import { errorBoundary } from '../../../src/core/steps/error-boundary.js'
import { fakeCardContext, inboundClick } from './card-fake.js'

const none = async () => {}

t.test('the action’s handler runs with the click; its card data is the answer', async (t) => {
  const seen: CardActionContext[] = []
  const table = new Map<string, CardActionHandler>([
    [
      'refresh',
      async (ctx) => {
        seen.push(ctx)
        return { activeNum: '7', note: 'Live' }
      },
    ],
    ['members', async () => ({ members: 'x' })],
  ])
  const click = inboundClick({ action: 'refresh' })
  const { ctx } = fakeCardContext(click)
  await dispatchCardAction(table)(ctx, none)
  t.equal(ctx.outcome, 'handled')
  t.same(ctx.data, { activeNum: '7', note: 'Live' })
  t.same(ctx.answer(), { outcome: 'handled', data: { activeNum: '7', note: 'Live' } })
  t.equal(seen.length, 1, 'only the handler of that action')
  t.equal(seen[0]?.action, click, 'the click as the transport parsed it')
  t.equal(seen[0]?.log, ctx.log, 'the flow logger, with the card, action and user on it')
  t.equal(seen[0]?.now, 1_000)
})

t.test('a handler with nothing to show: handled, no data in the answer', async (t) => {
  const { ctx } = fakeCardContext(inboundClick({ action: 'watch' }))
  await dispatchCardAction(new Map([['watch', async () => undefined]]))(ctx, none)
  t.equal(ctx.outcome, 'handled')
  t.same(ctx.answer(), { outcome: 'handled' })
})

t.test('an action nobody answers: ignored, logged at info, nothing runs', async (t) => {
  const ran: string[] = []
  const table = new Map<string, CardActionHandler>([['refresh', async () => void ran.push('refresh')]])
  const { ctx, capture } = fakeCardContext(inboundClick({ action: 'launch', userId: 'u42' }))
  await dispatchCardAction(table)(ctx, none)
  t.equal(ctx.outcome, 'ignored')
  t.same(ctx.answer(), { outcome: 'ignored' })
  t.same(ran, [])
  t.match(capture.find('unknown card action'), [{ level: 30, action: 'launch', userId: 'u42' }])
})

t.test('a handler that throws: through the error boundary, failed with a ref, no data', async (t) => {
  const boom = new Error('store away')
  const flow = compose([
    errorBoundary(new Failures([]), cardActionFailed, 'card action failed'),
    dispatchCardAction(
      new Map<string, CardActionHandler>([
        [
          'refresh',
          async () => {
            throw boom
          },
        ],
      ]),
    ),
  ])
  const { ctx, capture } = fakeCardContext(inboundClick({ action: 'refresh', outTrackId: 'mtg-boom' }))
  await flow(ctx)
  t.equal(ctx.outcome, 'failed')
  t.equal(ctx.result, 'error')
  t.match(ctx.ref, /^[2-9A-HJKMNP-Z]{6}$/)
  t.same(ctx.answer(), { outcome: 'failed' })
  t.match(capture.find('card action failed'), [
    {
      level: 50,
      ref: ctx.ref,
      failure: 'internal',
      command: 'refresh',
      outTrackId: 'mtg-boom',
      err: { message: 'store away' },
    },
  ])
})

t.test(
  'the error boundary’s part for a click: failed, and data set before the throw is dropped',
  async (t) => {
    const { ctx } = fakeCardContext()
    ctx.data = { activeNum: '1' }
    await cardActionFailed(ctx)
    t.equal(ctx.outcome, 'failed')
    t.equal(ctx.data, undefined)
  },
)
