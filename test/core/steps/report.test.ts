import t from 'tap'
import { report } from '../../../src/core/steps/report.js'
import { fakeContext, observer } from './fake.js'

t.test('one line and one count per handled message, with what the steps decided', async (t) => {
  const seen = observer()
  const { ctx, capture } = fakeContext()
  let now = 1_000
  await report(() => now, seen)(ctx, async () => {
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
  await report(() => 1_000, seen)(ctx, async () => {
    ctx.command = 'meeting'
    throw new Error('unexpected')
  })
  t.equal(ctx.outcome, 'failed')
  t.match(capture.find('message handling failed')[0], { command: 'meeting', err: { message: 'unexpected' } })
  t.match(capture.find('message handled')[0], { outcome: 'failed' })
  t.equal(seen.seen.handled.length, 1)
})
