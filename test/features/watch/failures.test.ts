import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { chat, noticesOf, posted, watchHarness } from './helpers.js'

const DESIGN_SYNC_ID = '5f1c2a9e07b3d4c6e8a10004'

t.test(
  'a failing poll is logged and counted; a failing summary fetch is tried three times, then the summary goes with what was seen',
  async (t) => {
    const h = await watchHarness(t, { settings: { pollMs: 1000 } })
    const { emu, capture, store, feature } = h
    const c = chat(emu)
    await h.run(c, 'watch 372615948')
    const track = async () => JSON.parse((await store.get(`watch-track:${DESIGN_SYNC_ID}`)) ?? '{}')
    emu.fail('conference.info', { status: 500, times: 2 })
    await sleep(1100)
    await feature.engine.tick()
    t.match(capture.find('watch: poll failed'), [
      { level: 40, conferenceId: DESIGN_SYNC_ID, kind: 'server', err: /HTTP 500/ },
    ])
    t.equal((await track()).calls, 1, 'a failed poll still counts: DingTalk counted it')
    t.equal(await store.get(`watch-usage:${new Date().toISOString().slice(0, 7)}`), '1')

    // It starts and ends between two polls, and nobody says who hosted.
    emu.timeline.start('372615948')
    emu.timeline.end('372615948')
    emu.fail('conference.members', { status: 500, times: 100 })
    await sleep(1100)
    for (let i = 0; i < 3; i++) await feature.engine.tick()
    t.equal(capture.find('watch: fetching the summary failed').length, 3, 'tried three times')
    const ended = noticesOf(emu, c, /has ended/)
    t.equal(ended.length, 1, 'then the summary goes out')
    t.match(ended[0], '- **Creator:** Lucy Wang', 'the creator stands in for the host nobody named')
    t.notMatch(ended[0], '**Host:**')
    t.equal(
      noticesOf(emu, c, /has started/).length,
      0,
      'the start was never seen: no "started" after the end',
    )
  },
)

t.test(
  'a watch whose meeting never starts expires a day after its scheduled start; the chat is told once',
  async (t) => {
    const h = await watchHarness(t)
    const { emu, feature, store } = h
    const c = chat(emu)
    const answer = await h.run(c, 'watch 583480813')
    t.match(answer, 'If it has not started by ')
    h.advance(95 * 60_000 + 24 * 3600_000 - 1000)
    await feature.engine.tick()
    t.equal(posted(emu, c).length, 0, 'not yet')
    h.advance(2000)
    await feature.engine.tick()
    await feature.engine.tick()
    const said = noticesOf(emu, c, /Stopped watching/)
    t.equal(said.length, 1)
    t.match(
      said[0],
      '#### Stopped watching 产品评审会\nIt had not started 24 hours after its scheduled start (',
    )
    t.same(await store.entries('watch:'), [], 'the watch is gone')
    t.same(await store.entries('watch-track:'), [], 'and what was seen of its meeting')
  },
)
