import fc from 'fast-check'
import t from 'tap'
import { robotMessage, startStreamStack, waitFor } from '../helpers/index.js'
import { RUNS, SEED } from './runs.js'

const TOPICS = ['/v1.0/im/bot/messages/get', 'ping', 'disconnect', '/v1.0/card/instances/callback', '']

t.test('random, truncated and binary frames never crash the connector', async (t) => {
  const s = await startStreamStack(t)
  const valid = JSON.stringify({
    specVersion: '1.0',
    type: 'CALLBACK',
    headers: { messageId: 'm1', topic: TOPICS[0], contentType: 'application/json', time: '1' },
    data: JSON.stringify(robotMessage({ text: 'help' })),
  })
  const frame = fc.oneof(
    // Frames with the right outline and random insides (type, headers, data of any JSON shape).
    fc
      .record(
        {
          specVersion: fc.oneof(fc.constant('1.0'), fc.jsonValue()),
          type: fc.oneof(fc.constantFrom('CALLBACK', 'SYSTEM', 'EVENT', 'callback', ''), fc.jsonValue()),
          headers: fc.oneof(
            fc.record(
              { messageId: fc.oneof(fc.string(), fc.jsonValue()), topic: fc.constantFrom(...TOPICS) },
              { requiredKeys: [] },
            ),
            fc.jsonValue(),
          ),
          data: fc.oneof(
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
            fc.jsonValue(),
          ),
        },
        { requiredKeys: [] },
      )
      .map((f) => JSON.stringify(f)),
    // A valid frame cut anywhere.
    fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  )
  await fc.assert(
    fc.asyncProperty(frame, async (f) => {
      if (s.gw.openSockets === 0) await s.connected()
      s.gw.sendRaw(f)
      return true
    }),
    { numRuns: RUNS * 2, seed: SEED },
  )
  // Give the connector time to chew through everything, then it must still answer.
  await new Promise((r) => setTimeout(r, 200))
  await s.connected()
  const id = s.gw.push(robotMessage({ text: 'meeting 615902734', sessionWebhook: s.emu.newSessionWebhook() }))
  await s.gw.waitForAck(id)
  await waitFor(
    () => s.emu.replies.some((r) => JSON.stringify(r.body).includes('Sprint 43 retrospective')),
    5000,
    'the card',
  )
  t.equal(s.app.stream?.status().state, 'connected')
  t.ok(
    s.capture.lines.some(
      (l) => l.msg === 'unusable stream frame ignored' || l.msg === 'invalid robot message acked and dropped',
    ),
    'junk was logged',
  )
})
