import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { newEventId } from '../../src/emulator/events.js'
import { CLIENT_ID, SECRET, waitFor } from '../helpers/index.js'
import { type Frame, streamClient } from '../helpers/stream-client.js'

t.test('every ack of an event push is recorded with its status, a late one after the end too', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: [],
    stream: { redeliverAfterMs: 40, maxRedeliveries: 1 },
  })
  t.teardown(() => emu.close())
  const c = await streamClient(emu)
  const eventId = newEventId()
  emu.stream.pushEvent({ eventType: 'meeting_status_change', eventId, bornTime: 1, data: '{}' })
  await waitFor(() => c.events().length === 2, 1000, 'the push and its re-push')
  const [first, again] = c.events() as [Frame, Frame]
  t.not(first.headers.messageId, again.headers.messageId)
  c.ack(again.headers.messageId)
  await waitFor(() => emu.stream.eventAcks.length === 1, 1000, 'the re-push acked')
  // The first push's handler was slow: its ack comes after the re-push's ended the pushes.
  c.ack(first.headers.messageId, { status: 'LATER' })
  await waitFor(() => emu.stream.eventAcks.length === 2, 1000, 'the late ack')
  t.same(
    emu.stream.eventAcks.map((a) => [a.messageId, a.eventId, a.status]),
    [
      [again.headers.messageId, eventId, 'SUCCESS'],
      [first.headers.messageId, eventId, 'LATER'],
    ],
  )
  await sleep(100)
  t.equal(c.events().length, 2, 'a late LATER after the end asks for nothing more')
})
