import t from 'tap'
import { Harness } from './harness.js'

t.test('upstream 5xx: retried; past the bound an honest "not answering" reply', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('conference.byRoomCode', { status: 500, times: 2 })
  const a = await h.http('meeting 615902734')
  h.s.emu.fail('conference.info', { status: 503, code: 'systemError', times: 30 })
  const b = await h.stream('meeting 5f1c2a9e07b3d4c6e8a1f2b3')
  await h.settle()
  await h.check(t)
  t.match(h.text(a), 'Sprint 43 retrospective')
  t.match(h.text(b), /DingTalk is not answering right now.*ref [2-9A-Z]{6}/)
})

t.test('timeouts and slow answers: the slow one goes by webhook, nothing twice', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('conference.byRoomCode', { delayMs: 1500, times: 3 }) // beyond the 1 s call timeout, three times
  const timedOut = await h.http('meeting 615902734')
  h.s.emu.fail('conference.info', { delayMs: 600 }) // slow but within the timeout
  const slow = await h.http('meeting 5f1c2a9e07b3d4c6e8a1f2b3')
  await h.settle()
  await h.check(t)
  t.match(h.text(timedOut), 'DingTalk is not answering right now')
  t.same(slow.inline, { msgtype: 'empty' })
  t.match(h.text(slow), 'Sprint 42 retrospective')
})

t.test('QPS-limit 403s: backoff within the budget, then "busy"', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('conference.byRoomCode', {
    status: 403,
    code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
    times: 2,
  })
  const a = await h.stream('meeting 615902734')
  await h.settle()
  h.s.emu.fail('conference.info', { status: 429, code: 'system.busy', times: 1000 })
  const b = await h.http('meeting 5f1c2a9e07b3d4c6e8a1f2b3')
  await h.settle()
  h.s.emu.clearFaults()
  await h.check(t)
  t.match(h.text(a), 'Sprint 43 retrospective')
  t.match(h.text(b), 'DingTalk is busy right now')
})

t.test('access token invalidated mid-flight: a fresh one, the answer as usual', async (t) => {
  const h = await Harness.start(t)
  await h.http('meeting 615902734')
  h.s.emu.revokeTokens()
  const after = await h.stream('meeting 5f1c2a9e07b3d4c6e8a1f2b3')
  await h.settle()
  await h.check(t)
  t.match(h.text(after), 'Sprint 42 retrospective')
  t.equal(h.s.emu.count('token'), 2)
})

t.test('monthly quota exhausted: says so, and stops spending calls on refusals', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('conference.byRoomCode', {
    status: 403,
    code: 'Forbidden.AccessDenied.ApiCountLimitForOrg',
    times: 5,
  })
  const a = await h.http('meeting 615902734')
  const b = await h.stream('meeting 427212345')
  const c = await h.http('meeting 5f1c2a9e07b3d4c6e8a1f2b3')
  await h.settle()
  await h.check(t)
  for (const m of [a, b, c])
    t.match(h.text(m), "This month's DingTalk API quota for the organisation is used up")
  t.equal(h.s.emu.count('conference.byRoomCode'), 1, 'one refusal, then no more calls')
  t.equal(h.s.emu.count('conference.info'), 0)
})
