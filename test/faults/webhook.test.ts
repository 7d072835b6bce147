import t from 'tap'
import { Harness } from './harness.js'

const slowly = (h: Harness) => h.s.emu.fail('conference.byRoomCode', { delayMs: 350 }) // past the inline deadline

t.test('webhook busy and too fast: retried, delivered once', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.webhookAnswers.push(-1, 410100)
  const a = await h.stream('meeting 615902734')
  await h.settle()
  h.s.emu.webhookAnswers.push(130101)
  const b = await h.stream('help')
  await h.settle()
  await h.check(t)
  t.match(h.text(a), 'Sprint 43 retrospective')
  t.match(h.text(b), 'markdown')
  t.equal(h.s.emu.count('webhook'), 5, 'two retries, then one')
  t.equal(h.s.emu.replies.filter((r) => r.via === 'webhook').length, 2, 'both by webhook')
})

t.test('session expired (300001): the robot OpenAPI takes over', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.webhookAnswers.push(300001)
  const a = await h.stream('help')
  slowly(h)
  h.s.emu.webhookAnswers.push(300001)
  const b = await h.http('meeting 615902734')
  await h.settle()
  await h.check(t)
  t.equal(h.s.emu.replies.filter((r) => r.via === 'openapi').length, 2)
  t.match(h.text(a), 'sampleMarkdown')
  t.match(h.text(b), 'sampleActionCard')
})

t.test('webhook host down: retried, then the OpenAPI; the OpenAPI down too: a logged failure', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('webhook', { reset: true, times: 3 })
  const a = await h.stream('help')
  await h.settle()
  h.s.emu.fail('webhook', { reset: true, times: 3 })
  h.s.emu.fail('robot.groupSend', { status: 500, times: 3 })
  const b = await h.stream('help')
  await h.settle()
  await h.check(t)
  t.match(h.text(a), 'sampleMarkdown')
  t.equal(h.handled(b.msgId)[0]?.outcome, 'failed')
})
