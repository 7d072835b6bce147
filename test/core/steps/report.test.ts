import t from 'tap'
import { eventReport, messageReport, report } from '../../../src/core/steps/report.js'
import { fakeContext, fakeEventContext, inboundEvent, observer } from './fake.js'

t.test('one line and one count per handled message, with what the steps decided', async (t) => {
  const seen = observer()
  const { ctx, capture } = fakeContext()
  let now = 1_000
  await report(() => now, messageReport(seen))(ctx, async () => {
    now = 1_250
    ctx.command = 'meeting'
    ctx.result = 'error'
    ctx.outcome = 'answered'
    ctx.path = 'inline'
    ctx.ref = 'ABC234'
  })
  const [line] = capture.find('message handled')
  t.match(line, {
    command: 'meeting',
    result: 'error',
    outcome: 'answered',
    path: 'inline',
    durationMs: 250,
    ref: 'ABC234',
    msgId: undefined,
  })
  t.same(seen.seen.handled, [
    { command: 'meeting', result: 'error', outcome: 'answered', path: 'inline', durationMs: 250 },
  ])
})

t.test('a step below that throws: failed, logged, still reported', async (t) => {
  const seen = observer()
  const { ctx, capture } = fakeContext()
  await report(() => 1_000, messageReport(seen))(ctx, async () => {
    ctx.command = 'meeting'
    throw new Error('unexpected')
  })
  t.equal(ctx.outcome, 'failed')
  t.match(capture.find('message handling failed')[0], { command: 'meeting', err: { message: 'unexpected' } })
  t.match(capture.find('message handled')[0], { outcome: 'failed' })
  t.equal(seen.seen.handled.length, 1)
})

t.test('an event: one line with its outcome, handlers, duration and ref; counted by type', async (t) => {
  const seen = observer()
  const { ctx, capture } = fakeEventContext(inboundEvent({ id: 'evtR1', type: 'meeting_status_change' }))
  let now = 1_000
  await report(() => now, eventReport(seen))(ctx, async () => {
    now = 1_040
    ctx.handlers = 1
    ctx.outcome = 'failed'
    ctx.ref = 'XYZ234'
  })
  t.same(
    capture
      .find('event handled')
      .map(({ outcome, handlers, durationMs, ref }) => ({ outcome, handlers, durationMs, ref })),
    [{ outcome: 'failed', handlers: 1, durationMs: 40, ref: 'XYZ234' }],
  )
  t.same(seen.seen.events, [{ eventType: 'meeting_status_change', outcome: 'failed', durationMs: 40 }])
  t.same(seen.seen.handled, [], 'not counted as a message')
})

t.test('an event whose flow throws below the report: failed, logged, reported', async (t) => {
  const seen = observer()
  const { ctx, capture } = fakeEventContext()
  await report(() => 1_000, eventReport(seen))(ctx, async () => {
    throw new Error('unexpected')
  })
  t.equal(ctx.outcome, 'failed')
  t.match(capture.find('event handling failed')[0], { err: { message: 'unexpected' } })
  t.match(capture.find('event handled')[0], { outcome: 'failed' })
  t.equal(seen.seen.events.length, 1)
})
