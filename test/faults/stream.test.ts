import t from 'tap'
import { waitFor } from '../helpers/index.js'
import { Harness } from './harness.js'

t.test(
  'gateway open 5xx and refused handshakes at start: connects after backoff, then answers',
  async (t) => {
    const h = await Harness.start(t, {
      waitConnected: false,
      before: (emu) => {
        emu.fail('gateway.open', { status: 500, times: 2 })
        emu.stream.refuseHandshakes(2)
      },
    })
    await h.s.connected(8000)
    const a = await h.stream('meeting 615902734')
    await h.settle()
    await h.check(t)
    t.ok(
      h.s.emu.count('gateway.open') >= 5 && h.s.emu.count('gateway.open') < 15,
      `bounded attempts (${h.s.emu.count('gateway.open')})`,
    )
    t.match(h.text(a), 'Sprint 43 retrospective')
  },
)

t.test('socket dropped mid-reply: the acked message is still answered, once', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('conference.byRoomCode', { delayMs: 300 })
  const a = await h.stream('meeting 615902734')
  h.s.gw.dropAll()
  await waitFor(() => (h.s.app.stream?.status().reconnects ?? 0) >= 1, 5000, 'a reconnect')
  await h.s.connected()
  const b = await h.stream('help')
  await h.settle()
  await h.check(t)
  t.match(h.text(a), 'Sprint 43 retrospective')
  t.match(h.text(b), 'markdown')
})

t.test('disconnect frame under load: nothing lost, nothing twice, one socket after', async (t) => {
  const h = await Harness.start(t)
  const first = Array.from({ length: 10 }, (_, i) =>
    h.stream(i % 2 ? 'help' : 'meeting 615902734', { waitAck: false }),
  )
  h.s.gw.sendDisconnect({ closeAfterMs: 300 })
  const second = Array.from({ length: 10 }, () => h.stream('help', { waitAck: false }))
  await Promise.all([...first, ...second])
  await h.settle()
  await h.check(t)
  // The bot closes the old socket itself once the replacement is up; DingTalk would after 300 ms.
  await waitFor(() => h.s.gw.openSockets === 1, 3000, 'one socket')
  t.equal(h.s.gw.openSockets, 1)
  t.equal(h.s.gw.maxOpenSockets, 2, 'the replacement overlapped the old socket, no more')
})

t.test('a flood of pings: every one answered, messages still answered', async (t) => {
  const h = await Harness.start(t)
  const pings = Array.from({ length: 500 }, () => h.s.gw.ping())
  const a = await h.stream('meeting 615902734')
  await Promise.all(pings.map((id) => h.s.gw.waitForPong(id)))
  await h.settle()
  await h.check(t)
  t.ok(
    h.s.gw.pongs.every((p) => p.sameData),
    'same data back',
  )
  t.match(h.text(a), 'Sprint 43 retrospective')
})

t.test('shutdown under load: in-flight messages are finished, new ones refused', async (t) => {
  const h = await Harness.start(t)
  h.s.emu.fail('conference.byRoomCode', { delayMs: 400 })
  const inFlight = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      i % 2 ? h.http('meeting 615902734') : h.stream('meeting 615902734'),
    ),
  )
  const stopping = h.s.app.stop()
  const late = await h.s.post({ msgId: 'late' }).then(
    (r) => r.status,
    () => 'refused',
  )
  await stopping
  t.ok(late === 503 || late === 'refused', `new callbacks refused (${late})`)
  t.equal(inFlight.length, 10)
  await h.settle(2000)
  await h.check(t, { stopped: true })
  t.ok(
    inFlight.every((m) => h.handled(m.msgId)[0]?.outcome === 'answered'),
    'all ten answered before the stop finished',
  )
})
