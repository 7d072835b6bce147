import t from 'tap'
import { EventFlowContext } from '../../src/core/event-context.js'
import { Metrics } from '../../src/ops/metrics.js'
import { Stats } from '../../src/ops/stats.js'
import { inboundEvent } from '../core/steps/fake.js'
import { captureLogger } from '../helpers/index.js'

t.test('events are counted by outcome; the metrics label is a handled type or other', async (t) => {
  const metrics = new Metrics()
  const stats = new Stats(metrics)
  const ctx = new EventFlowContext(inboundEvent(), captureLogger().log, 0)
  t.equal(stats.eventCounts(), undefined, 'not subscribed yet')
  stats.subscribedToEvents(['meeting_status_change'])
  const seen = (eventType: string, outcome: 'handled' | 'duplicate' | 'ignored' | 'failed') =>
    stats.event(ctx, { eventType, outcome, durationMs: 3 })
  seen('meeting_status_change', 'handled')
  seen('meeting_status_change', 'duplicate')
  seen('meeting_status_change', 'failed')
  seen('suite_ticket', 'ignored')
  seen('anything DingTalk may invent', 'ignored')
  t.same(stats.eventCounts(), { received: 5, handled: 1, duplicates: 1, ignored: 2, failed: 1 })
  t.equal(stats.tally.handled, 0, 'no message counted')
  const text = await metrics.registry.metrics()
  for (const line of [
    'meetingbot_events_total{type="meeting_status_change",outcome="handled"} 1',
    'meetingbot_events_total{type="meeting_status_change",outcome="duplicate"} 1',
    'meetingbot_events_total{type="meeting_status_change",outcome="failed"} 1',
    'meetingbot_events_total{type="other",outcome="ignored"} 2',
  ]) {
    t.match(text, line)
  }
  t.notMatch(text, 'suite_ticket', 'a type nobody handles gets no label of its own')
})
