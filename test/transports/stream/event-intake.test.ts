import type { DWClientDownStream } from 'dingtalk-stream'
import t from 'tap'
import type { EventOutcome, InboundEvent } from '../../../src/core/event.js'
import { ackStatus, type EventAckStatus, EventIntake } from '../../../src/transports/stream/event-intake.js'
import { captureLogger, fixture, waitFor } from '../../helpers/index.js'

const FRAME = fixture<DWClientDownStream>('stream-event-meeting-status-change')

/** An intake whose port answers `answer`; records acks, bad frames and what is held. */
function intake(answer: (evt: InboundEvent) => Promise<EventOutcome>) {
  const { log, capture } = captureLogger()
  const got: InboundEvent[] = []
  const bad: string[] = []
  const held = { now: 0, max: 0 }
  const events = new EventIntake({
    port: {
      event: (evt) => {
        got.push(evt)
        return answer(evt)
      },
    },
    log,
    clock: () => 777,
    badFrame: (reason) => bad.push(reason),
    hold: () => {
      held.now++
      held.max = Math.max(held.max, held.now)
      return () => void held.now--
    },
  })
  const acks: EventAckStatus[] = []
  const take = (frame: DWClientDownStream = FRAME, open = true) =>
    events.take(frame, frame.headers.messageId, (status) => {
      if (open) acks.push(status)
      return open
    })
  return { take, got, bad, held, acks, capture }
}

t.test('the outcome is the ack: failed asks for a re-push (LATER), the rest end it', async (t) => {
  t.equal(ackStatus('handled'), 'SUCCESS')
  t.equal(ackStatus('duplicate'), 'SUCCESS')
  t.equal(ackStatus('ignored'), 'SUCCESS')
  t.equal(ackStatus('failed'), 'LATER')
})

t.test('a good frame goes to the port, held while it works, acked with its outcome after', async (t) => {
  let settle: (o: EventOutcome) => void = () => {}
  const s = intake(() => new Promise((r) => (settle = r)))
  s.take()
  t.equal(s.got.length, 1)
  t.match(s.got[0], { id: 'evt7d1f2a9c0b3e', type: 'meeting_status_change', receivedAt: 777 })
  t.same(s.acks, [], 'no ack before the core is through')
  t.equal(s.held.now, 1, 'counted towards the bound meanwhile')
  settle('failed')
  await waitFor(() => s.acks.length === 1)
  t.same(s.acks, ['LATER'])
  t.equal(s.held.now, 0)
})

t.test('a frame that is no event: acked SUCCESS at once, reported, never handed over', async (t) => {
  const s = intake(async () => 'handled')
  s.take({ ...FRAME, headers: { ...FRAME.headers, eventId: undefined } } as unknown as DWClientDownStream)
  t.same(s.acks, ['SUCCESS'])
  t.same(s.bad, ['EVENT frame without a usable eventId'])
  t.equal(s.got.length, 0)
  t.equal(s.held.max, 0)
})

t.test('a port that throws or rejects: logged, LATER; a socket gone before the ack: logged', async (t) => {
  const thrower = intake(() => {
    throw new Error('sync')
  })
  thrower.take()
  await waitFor(() => thrower.acks.length === 1)
  t.same(thrower.acks, ['LATER'])
  t.match(thrower.capture.find('event handling failed')[0], {
    eventId: 'evt7d1f2a9c0b3e',
    err: { message: 'sync' },
  })
  t.equal(thrower.held.now, 0)
  const rejecter = intake(() => Promise.reject(new Error('async')))
  rejecter.take()
  await waitFor(() => rejecter.acks.length === 1)
  t.same(rejecter.acks, ['LATER'])
  const gone = intake(async () => 'handled')
  gone.take(FRAME, false)
  await waitFor(
    () => gone.capture.find('socket closed before the event ack; DingTalk pushes it again').length === 1,
  )
  t.match(gone.capture.find('socket closed before the event ack; DingTalk pushes it again')[0], {
    messageId: FRAME.headers.messageId,
    outcome: 'handled',
  })
})
