import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { MEETING_MEMBER_STATUS_CHANGE, MEETING_STATUS_CHANGE } from '../../../src/emulator/events.js'
import { sampleMeetings } from '../../../src/emulator/meetings.js'
import { startStreamStack, waitFor } from '../../helpers/index.js'
import { ask, chat, noticesOf, posted, watchHarness } from './helpers.js'

const DESIGN_SYNC = '372615948'
const DESIGN_SYNC_ID = '5f1c2a9e07b3d4c6e8a10004'

t.test(
  'the handlers: start and end from events; a duplicate or an older event changes nothing',
  async (t) => {
    const h = await watchHarness(t)
    const { emu, store } = h
    const c = chat(emu)
    t.match(await h.run(c, 'watch 372615948'), 'Watching **Design sync**')
    const track = () => store.get(`watch-track:${DESIGN_SYNC_ID}`)
    /** The event the emulator's timeline just made, handed to the handler as the core would. */
    const deliver = async (type: string, nth = -1) => {
      const sent = emu.events.sent.filter((s) => s.spec.eventType === type).at(nth)
      if (!sent) throw new Error(`no ${type} event`)
      await h.event(type, JSON.parse(sent.spec.data), sent.spec.eventId)
      return sent.spec
    }

    const before = await track()
    await h.event(MEETING_STATUS_CHANGE, {
      openConfModel: { conferenceId: '0'.repeat(24), status: 2 },
      statusSeqNum: 9,
    })
    await h.event(MEETING_STATUS_CHANGE, { something: 'else' })
    await h.event(MEETING_MEMBER_STATUS_CHANGE, 'not even an object')
    t.equal(await track(), before, 'events about other meetings, or junk, change nothing')

    emu.timeline.start(DESIGN_SYNC)
    const start = await deliver(MEETING_STATUS_CHANGE)
    await waitFor(() => noticesOf(emu, c, /has started/).length === 1, 3000, 'the started notice')
    t.match(posted(emu, c)[0]?.body, { msgtype: 'actionCard', actionCard: { singleTitle: 'Join meeting' } })
    const started = await track()
    await h.event(MEETING_STATUS_CHANGE, JSON.parse(start.data), start.eventId)
    await h.event(MEETING_STATUS_CHANGE, JSON.parse(start.data), 'evtPushedAgainWithAnotherId')
    t.equal(await track(), started, 'the same status event again changes nothing')

    emu.timeline.join(DESIGN_SYNC, 'Lucy Wang', { host: true })
    await deliver(MEETING_MEMBER_STATUS_CHANGE)
    emu.clock.advance(60_000)
    emu.timeline.join(DESIGN_SYNC, 'Bob')
    const bobJoined = await deliver(MEETING_MEMBER_STATUS_CHANGE)
    emu.clock.advance(10 * 60_000)
    emu.timeline.leave(DESIGN_SYNC, 'Bob')
    await deliver(MEETING_MEMBER_STATUS_CHANGE)
    const afterLeave = await track()
    await h.event(MEETING_MEMBER_STATUS_CHANGE, JSON.parse(bobJoined.data), 'evtLateJoin')
    t.equal(await track(), afterLeave, 'a join older than the leave that followed it changes nothing')
    await h.event(
      MEETING_MEMBER_STATUS_CHANGE,
      JSON.parse(bobJoined.data).openMemberModels ? JSON.parse(bobJoined.data) : {},
      'evtAgain',
    )
    t.equal(await track(), afterLeave, 'nor does it a second time')

    // "Ended" comes from status, never from changeScene.
    const liveSeq = JSON.parse(afterLeave ?? '{}').statusSeq as number
    await h.event(MEETING_STATUS_CHANGE, {
      openConfModel: { conferenceId: DESIGN_SYNC_ID, status: 2, activeNum: 1 },
      statusSeqNum: liveSeq + 1,
      changeScene: 'conference_end',
    })
    await sleep(200)
    t.equal(noticesOf(emu, c, /has ended/).length, 0, 'a scene that says "end" with status 2 is not the end')

    emu.timeline.end(DESIGN_SYNC)
    await deliver(MEETING_MEMBER_STATUS_CHANGE)
    await deliver(MEETING_STATUS_CHANGE)
    await waitFor(() => noticesOf(emu, c, /has ended/).length === 1, 3000, 'the ended notice')
    const ended = noticesOf(emu, c, /has ended/)[0] ?? ''
    t.match(ended, '- **Participants:** 2 joined in total · 6 invited')
    t.match(ended, '- **Most at once:** 2 (as far as I saw)')
    t.match(ended, '- **Host:** Lucy Wang', 'the host, from the member events')
    t.equal(emu.count('conference.members'), 0, 'no member call: the events named the host')
    t.equal(emu.count('conference.info'), 2, 'the lookup and one fetch for the summary, no polls')

    // The meeting's start pushed again after its end: nothing, the watch is done.
    await h.event(MEETING_STATUS_CHANGE, JSON.parse(start.data), 'evtVeryLate')
    await sleep(200)
    t.equal(posted(emu, c).length, 2, 'one started and one ended notice, nothing else')
    t.same(await store.entries('watch:'), [], 'the watch is gone')
  },
)

t.test('out of order: the end before the start posts the summary only', async (t) => {
  const h = await watchHarness(t)
  const { emu } = h
  const c = chat(emu)
  await h.run(c, 'watch 372615948')
  emu.events.hold()
  emu.timeline.start(DESIGN_SYNC)
  emu.timeline.end(DESIGN_SYNC)
  const held = [...emu.events.heldEvents].reverse()
  emu.events.release(() => [])
  for (const spec of held) await h.event(spec.eventType, JSON.parse(spec.data), spec.eventId)
  await waitFor(() => noticesOf(emu, c, /has ended/).length === 1, 3000, 'the ended notice')
  await sleep(200)
  t.equal(noticesOf(emu, c, /has started/).length, 0, 'no "started" after the end')
})

t.test('end to end by events over the stream, polling effectively off', async (t) => {
  const s = await startStreamStack(t, {
    env: { DINGTALK_TRANSPORTS: 'stream,http', BOT_WATCH_POLL_MS: '3600000' },
    before: (emu) => {
      emu.meetings = sampleMeetings(Date.now())
    },
  })
  const c = chat(s.emu)
  t.match(await ask(s, c, 'watch 372615948'), 'Watching **Design sync**')
  const infoCalls = s.emu.count('conference.info')
  s.emu.timeline.start(DESIGN_SYNC)
  await waitFor(() => noticesOf(s.emu, c, /has started/).length === 1, 5000, 'the started notice, by event')
  s.emu.timeline.join(DESIGN_SYNC, 'Lucy Wang', { host: true })
  s.emu.clock.advance(60_000)
  s.emu.timeline.join(DESIGN_SYNC, 'Bob')
  s.emu.clock.advance(10 * 60_000)
  s.emu.timeline.leave(DESIGN_SYNC, 'Bob')
  s.emu.events.duplicate(s.emu.events.last(MEETING_MEMBER_STATUS_CHANGE)?.spec.eventId ?? '')
  s.emu.timeline.end(DESIGN_SYNC)
  await waitFor(() => noticesOf(s.emu, c, /has ended/).length === 1, 5000, 'the ended notice, by event')
  const ended = noticesOf(s.emu, c, /has ended/)[0] ?? ''
  t.match(ended, '- **Participants:** 2 joined in total')
  t.match(ended, '- **Most at once:** 2 (as far as I saw)')
  t.match(ended, '- **Host:** Lucy Wang')
  t.equal(s.emu.count('conference.info') - infoCalls, 1, 'no polls: one fetch for the summary')
  await sleep(300)
  t.equal(posted(s.emu, c).length, 2)
})
