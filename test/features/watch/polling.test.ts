import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import { startStack, waitFor } from '../../helpers/index.js'
import { ask, chat, noticesOf, posted } from './helpers.js'

const DESIGN_SYNC = '372615948'

t.test('a watch gets exactly one "started" and one "ended" notice by polling, with events off', async (t) => {
  const s = await startStack(t, {
    meetings: sampleMeetings(Date.now()),
    env: { BOT_WATCH_POLL_MS: '1000' },
    gateway: { events: false },
  })
  const c = chat(s.emu)
  const answer = await ask(s, c, 'watch 372 615 948')
  t.match(answer, '👀 Watching **Design sync** (372 615 948), scheduled')
  t.match(answer, 'I will post here when it starts (with a Join button) and a summary when it ends.')
  t.equal(posted(s.emu, c).length, 0, 'nothing posted before it starts')

  s.emu.timeline.start(DESIGN_SYNC)
  s.emu.timeline.join(DESIGN_SYNC, 'Lucy Wang', { host: true })
  s.emu.timeline.join(DESIGN_SYNC, 'Bob', { external: true })
  await waitFor(() => noticesOf(s.emu, c, /has started/).length === 1, 5000, 'the started notice')
  const started = posted(s.emu, c)[0]
  t.match(
    started?.body,
    { msgtype: 'actionCard', actionCard: { singleTitle: 'Join meeting', singleURL: /roomCode=372615948/ } },
    'with the join button',
  )
  // Let a poll see both of them in it, then they leave and it ends.
  const polls = s.emu.count('conference.info')
  await waitFor(() => s.emu.count('conference.info') > polls, 5000, 'a poll while both are in')
  s.emu.timeline.leave(DESIGN_SYNC, 'Bob')
  s.emu.timeline.end(DESIGN_SYNC)
  await waitFor(() => noticesOf(s.emu, c, /has ended/).length === 1, 5000, 'the ended notice')
  const ended = noticesOf(s.emu, c, /has ended/)[0] ?? ''
  t.match(ended, '#### ⚪ Design sync has ended')
  t.match(ended, '- **Participants:** 2 joined in total · 6 invited')
  t.match(ended, '- **Most at once:** 2 (as far as I saw)')
  t.match(ended, '- **Host:** Lucy Wang')
  await sleep(2500) // a few more ticks: nothing more comes
  t.equal(noticesOf(s.emu, c, /has started/).length, 1, 'one started notice')
  t.equal(noticesOf(s.emu, c, /has ended/).length, 1, 'one ended notice')
  t.equal(posted(s.emu, c).length, 2, 'nothing else')
  const after = s.emu.count('conference.info')
  await sleep(1500)
  t.equal(s.emu.count('conference.info'), after, 'no more polls once the watch is done')
  t.match(await ask(s, c, 'watches'), 'This chat watches no meetings.')
})
