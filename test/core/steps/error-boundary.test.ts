import t from 'tap'
import { Failures, UserFacingError } from '../../../src/core/errors.js'
import { eventFailed } from '../../../src/core/steps/dispatch-event.js'
import { errorBoundary, errorReply } from '../../../src/core/steps/error-boundary.js'
import { fakeContext, fakeEventContext, textOf } from './fake.js'

class Gone extends Error {}
const failures = new Failures([
  (err) =>
    err instanceof Gone
      ? { key: 'gone', level: 'warn', text: { en: 'It is gone.', 'zh-CN': '没了。' } }
      : undefined,
])
const step = errorBoundary(failures, errorReply)

t.test(
  'a known failure: its sentence and a reference id, logged at its level with the same id',
  async (t) => {
    const { ctx, capture } = fakeContext()
    ctx.command = 'meeting'
    ctx.locale = 'en'
    await step(ctx, async () => {
      throw new Gone('upstream said 404')
    })
    t.equal(ctx.result, 'error')
    t.match(ctx.ref, /^[2-9A-HJKMNP-Z]{6}$/)
    t.equal(textOf(ctx.reply), `@manager4821 It is gone. (ref ${ctx.ref})`)
    const line = capture.find('command failed')[0]
    t.match(line, { level: 40, ref: ctx.ref, failure: 'gone', command: 'meeting' })
  },
)

t.test('an error that says its own text; one nobody knows is ours', async (t) => {
  const own = fakeContext({ settings: { locale: 'zh-CN' } })
  await step(own.ctx, async () => {
    throw new UserFacingError('no such room', {
      key: 'notFound',
      level: 'info',
      text: { en: 'No.', 'zh-CN': '没有。' },
    })
  })
  t.match(
    textOf(own.ctx.reply),
    /^@manager4821 没有。 （参考编号 [2-9A-Z]{6}）$/,
    'chat language when no word chose one',
  )
  t.match(own.capture.find('command failed')[0], { level: 30, failure: 'notFound' })
  const bug = fakeContext({ settings: { locale: 'en' } })
  await step(bug.ctx, async () => {
    throw new TypeError('undefined is not a function')
  })
  t.match(textOf(bug.ctx.reply), 'Something went wrong on my side. (ref ')
  t.match(bug.capture.find('command failed')[0], { level: 50, failure: 'internal' })
})

t.test('no error: nothing changes; without an answer hook only the log and the result', async (t) => {
  const { ctx } = fakeContext()
  await step(ctx, async () => {})
  t.equal(ctx.reply, undefined)
  t.equal(ctx.result, 'ok')
  const quiet = fakeContext()
  await errorBoundary(failures)(quiet.ctx, async () => {
    throw new Gone('x')
  })
  t.equal(quiet.ctx.reply, undefined)
  t.equal(quiet.ctx.result, 'error')
  t.equal(quiet.capture.find('command failed').length, 1)
})

t.test('an event: its own line, and the answer hook says what follows (failed)', async (t) => {
  const { ctx, capture } = fakeEventContext()
  await errorBoundary(
    failures,
    eventFailed,
    'event handler failed',
  )(ctx, async () => {
    throw new Gone('x')
  })
  t.equal(ctx.outcome, 'failed')
  t.equal(ctx.result, 'error')
  t.match(capture.find('event handler failed')[0], {
    level: 40,
    ref: ctx.ref,
    failure: 'gone',
    command: 'meeting_status_change',
  })
  t.equal(capture.find('command failed').length, 0)
})
