import t from 'tap'
import { content } from '../../../src/core/steps/content.js'
import { fakeContext, inbound, nextStep, textOf } from './fake.js'

t.test('text goes on, normalised', async (t) => {
  const { ctx } = fakeContext({ msg: inbound({ text: '  @会议助手  meeting　６１５９０２７３４ ' }) })
  const { next, calls } = nextStep()
  await content()(ctx, next)
  t.equal(calls.n, 1)
  t.equal(ctx.text, 'meeting 615902734')
})

t.test('a picture: "send me text" in the chat language, nothing further', async (t) => {
  const msg = inbound({ msgtype: 'picture', content: { downloadCode: 'x' } } as never)
  const { ctx } = fakeContext({ msg, settings: { locale: 'en' } })
  const { next, calls } = nextStep()
  await content()(ctx, next)
  t.equal(calls.n, 0)
  t.equal(ctx.result, 'unsupported')
  t.match(textOf(ctx.reply), 'I can only read text messages')
})

t.test('DingTalk paused the org: nothing can be answered, and it says so in the log', async (t) => {
  const msg = inbound({ errorMessage: { errorCode: 20001, message: 'quota' }, text: undefined } as never)
  const { ctx, capture } = fakeContext({ msg })
  const { next, calls } = nextStep()
  await content()(ctx, next)
  t.equal(calls.n, 0)
  t.equal(ctx.reply, undefined)
  t.equal(ctx.result, 'platform-error')
  t.match(capture.find('DingTalk paused robot messages for this org; nothing can be answered')[0], {
    code: 20001,
  })
})
