import t from 'tap'
import type { EventContext, EventHandler } from '../../../src/core/event.js'
import { dispatchEvent, eventFailed } from '../../../src/core/steps/dispatch-event.js'
import { fakeEventContext, inboundEvent } from './fake.js'

t.test('every handler of the type, in order, with the event; the event is handled', async (t) => {
  const order: string[] = []
  const seen: EventContext[] = []
  const handler =
    (name: string): EventHandler =>
    async (ctx) => {
      order.push(name)
      seen.push(ctx)
    }
  const table = new Map([
    ['meeting_status_change', [handler('first'), handler('second')]],
    ['other_type', [handler('not me')]],
  ])
  const event = inboundEvent({ data: { openConfModel: { status: 1 } } })
  const { ctx } = fakeEventContext(event)
  await dispatchEvent(table)(ctx, async () => {})
  t.same(order, ['first', 'second'])
  t.equal(ctx.outcome, 'handled')
  t.equal(ctx.handlers, 2)
  t.equal(seen[0]?.event, event, 'the event as the transport parsed it')
  t.equal(seen[0]?.log, ctx.log, 'the flow logger, with eventId and eventType on it')
  t.equal(seen[0]?.now, 1_000, 'the time the core took it')
})

t.test('no handler for the type: ignored, nothing runs', async (t) => {
  const ran: string[] = []
  const table = new Map([['meeting_status_change', [async () => void ran.push('x')]]])
  const { ctx } = fakeEventContext(inboundEvent({ type: 'flash_minutes_open_event' }))
  await dispatchEvent(table)(ctx, async () => {})
  t.equal(ctx.outcome, 'ignored')
  t.equal(ctx.handlers, 0)
  t.same(ran, [])
  const empty = fakeEventContext(inboundEvent({ type: 'x' }))
  await dispatchEvent(new Map([['x', []]]))(empty.ctx, async () => {})
  t.equal(empty.ctx.outcome, 'ignored', 'an empty list is no handler')
})

t.test('a handler that throws: the others still run, then its error goes on', async (t) => {
  const ran: string[] = []
  const boom = new Error('store away')
  const table = new Map([
    [
      'meeting_status_change',
      [
        async () => {
          ran.push('a')
          throw boom
        },
        async () => void ran.push('b'),
      ],
    ],
  ])
  const { ctx } = fakeEventContext()
  await t.rejects(
    dispatchEvent(table)(ctx, async () => {}),
    boom,
  )
  t.same(ran, ['a', 'b'], 'the second feature gets its news all the same')
  t.equal(ctx.outcome, 'ignored', 'not handled: the error boundary above decides what it is')
  t.equal(ctx.handlers, 2)
})

t.test('several handlers throw: all their errors, as one', async (t) => {
  const table = new Map([
    [
      'meeting_status_change',
      [async () => Promise.reject(new Error('one')), async () => Promise.reject(new Error('two'))],
    ],
  ])
  const { ctx } = fakeEventContext()
  const err = await dispatchEvent(table)(ctx, async () => {}).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err instanceof AggregateError)
  t.same(
    (err as AggregateError).errors.map((e: Error) => e.message),
    ['one', 'two'],
  )
})

t.test('the error boundary’s part for an event: failed', async (t) => {
  const { ctx } = fakeEventContext()
  await eventFailed(ctx)
  t.equal(ctx.outcome, 'failed')
})
