import t from 'tap'
import { MemoryStore } from '../../src/store/memory.js'
import { robotMessage, startStack, waitFor } from '../helpers/index.js'

/** What the inbox holds: message ids. */
async function inboxIds(store: MemoryStore): Promise<string[]> {
  return (await store.entries('inbox:')).map(([k]) => k.slice('inbox:'.length))
}

t.test(
  'a slow answer: the message is in the inbox before "empty" goes out, and leaves once answered',
  async (t) => {
    const store = new MemoryStore()
    const s = await startStack(t, { store, tuning: { inlineDeadlineMs: 150 } })
    s.emu.fail('conference.byRoomCode', { delayMs: 500 })
    const msg = robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() })
    const res = await s.post(msg)
    t.same(await res.json(), { msgtype: 'empty' })
    t.same(await inboxIds(store), [msg.msgId], 'kept when DingTalk heard "received"')
    await s.emu.waitForReplies(1)
    await waitFor(() => s.capture.find('message handled').length === 1)
    await waitFor(() => store.has(`dedupe:${msg.msgId}`))
    t.same(await inboxIds(store), [], 'answered: nothing owed')
  },
)

t.test('a fast answer rides in the response and never touches the inbox', async (t) => {
  const store = new MemoryStore()
  const s = await startStack(t, { store })
  const writes: string[] = []
  const setIfAbsent = store.setIfAbsent.bind(store)
  store.setIfAbsent = (key, value, ttl) => {
    writes.push(key)
    return setIfAbsent(key, value, ttl)
  }
  const res = await s.post(
    robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }),
  )
  t.match(await res.json(), { msgtype: 'actionCard' })
  t.same(
    writes.filter((k) => k.startsWith('inbox:')),
    [],
  )
})

t.test('a message that cannot be kept gets 503 (DingTalk retries), not "empty"', async (t) => {
  const store = new MemoryStore()
  const s = await startStack(t, { store, tuning: { inlineDeadlineMs: 100 } })
  const setIfAbsent = store.setIfAbsent.bind(store)
  store.setIfAbsent = (key, value, ttl) =>
    key.startsWith('inbox:') ? Promise.reject(new Error('disk full')) : setIfAbsent(key, value, ttl)
  s.emu.fail('conference.byRoomCode', { delayMs: 400 })
  const res = await s.post(
    robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }),
  )
  t.equal(res.status, 503)
  t.match(await res.json(), { error: 'not_kept' })
  t.ok(s.capture.find('message could not be kept; 503 so DingTalk retries').length === 1)
})

t.test('over BOT_MAX_PENDING unanswered messages: 503 with Retry-After, nothing read', async (t) => {
  const s = await startStack(t, { env: { BOT_MAX_PENDING: '10' }, tuning: { inlineDeadlineMs: 100 } })
  s.emu.fail('conference.byRoomCode', { delayMs: 1500, times: 100 })
  const slow = Array.from({ length: 10 }, (_, i) =>
    robotMessage({
      text: 'meeting 615902734',
      conversationId: `cidbusy${i}`,
      sessionWebhook: s.emu.newSessionWebhook(),
    }),
  )
  const answers = await Promise.all(slow.map(async (m) => (await s.post(m)).json()))
  t.same(
    answers,
    slow.map(() => ({ msgtype: 'empty' })),
  )
  t.equal(s.app.bot.pending, 10)
  const res = await s.post(robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }))
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '1')
  t.match(await res.json(), { error: 'busy' })
  await s.emu.waitForReplies(10, 5000)
  await waitFor(() => s.app.bot.pending === 0)
  const after = await s.post(robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }))
  t.equal(after.status, 200, 'room again: answered')
})
