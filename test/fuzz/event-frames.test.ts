import type { DWClientDownStream } from 'dingtalk-stream'
import fc from 'fast-check'
import t from 'tap'
import { parseEventFrame } from '../../src/transports/stream/frames.js'
import { RUNS, SEED } from './runs.js'

const REASONS = new Set([
  'EVENT frame without a usable eventId',
  'EVENT frame without a usable eventType',
  'EVENT frame without data',
  'EVENT data is not JSON',
  'EVENT data is not an object',
])

t.test(
  'any EVENT frame is an event with sane fields, or one of the known reasons; never a throw',
  async (t) => {
    const header = fc.oneof(
      fc.string({ maxLength: 140 }),
      fc.stringMatching(/^[a-z_]{1,20}$/),
      fc.jsonValue(),
    )
    const frame = fc.record(
      {
        type: fc.constant('EVENT'),
        headers: fc.record(
          {
            messageId: fc.string(),
            eventId: header,
            eventType: header,
            eventCorpId: header,
            eventBornTime: fc.oneof(header, fc.nat().map(String)),
          },
          { requiredKeys: [] },
        ),
        data: fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.dictionary(fc.string(), fc.jsonValue()).map((v) => JSON.stringify(v)),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: ['type', 'headers'] },
    )
    t.doesNotThrow(() =>
      fc.assert(
        fc.property(frame, (f) => {
          const r = parseEventFrame(f as unknown as DWClientDownStream, 123)
          if (!r.ok) return REASONS.has(r.reason)
          const e = r.event
          return (
            e.id.length > 0 &&
            e.id.length <= 128 &&
            !/\s/.test(e.id) &&
            /^[A-Za-z0-9_.:-]{1,64}$/.test(e.type) &&
            Number.isFinite(e.bornAt) &&
            e.receivedAt === 123 &&
            e.transport === 'stream' &&
            typeof e.data === 'object' &&
            e.data !== null &&
            !Array.isArray(e.data)
          )
        }),
        { numRuns: RUNS * 5, seed: SEED },
      ),
    )
  },
)
