import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import { startStack, waitFor } from '../../helpers/index.js'
import { ask, chat, noticesOf } from './helpers.js'

t.test('polling stops at its share of the monthly quota and says so once per chat', async (t) => {
  const s = await startStack(t, {
    meetings: sampleMeetings(Date.now()),
    gateway: { events: false },
    // 30% of 10 calls: three polls, then no more.
    env: { BOT_WATCH_POLL_MS: '1000', BOT_MONTHLY_API_QUOTA: '10', BOT_WATCH_QUOTA_SHARE: '30%' },
  })
  const [a, b] = [chat(s.emu), chat(s.emu)]
  t.match(await ask(s, a, 'watch 372615948'), 'Watching **Design sync**')
  t.match(await ask(s, b, '关注 372615948'), '已关注 **Design sync**')
  const lookups = s.emu.count('conference.info')
  const paused = /Watching paused|会议关注已暂停/
  await waitFor(
    () => noticesOf(s.emu, a, paused).length + noticesOf(s.emu, b, paused).length === 2,
    8000,
    'the notices',
  )
  const said = noticesOf(s.emu, a, paused)[0] ?? ''
  t.match(said, "This month's share of the DingTalk API quota for watching meetings is spent (3 of 3 calls)")
  t.match(said, 'so I stop checking **Design sync** (372 615 948) until')
  t.match(
    noticesOf(s.emu, b, paused)[0],
    '本月用于会议关注的钉钉接口额度已用完（3/3 次）',
    'in the language of its watch',
  )
  t.equal(s.emu.count('conference.info') - lookups, 3, 'three polls, then none')

  s.emu.timeline.start('372615948')
  await sleep(3000) // several poll periods
  t.equal(s.emu.count('conference.info') - lookups, 3, 'still none: the start goes unseen without events')
  t.equal(noticesOf(s.emu, a, paused).length, 1, 'said once in each chat')
  t.equal(noticesOf(s.emu, b, paused).length, 1)
  t.equal(noticesOf(s.emu, a, /has started/).length, 0)
  const list = await ask(s, a, 'watches')
  t.match(list, 'Watches this month: 3 of 3 API calls (30% of the monthly quota of 10).')
  t.match(list, 'The share is spent: no polling until next month; meeting events still count.')
  t.match(
    await ask(s, a, '/status', { isAdmin: true }),
    '- **Watches:** 2 in 2 chats · 3 of 3 API calls this month · polling paused (share spent)',
  )
})
