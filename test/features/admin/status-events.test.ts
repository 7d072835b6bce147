import t from 'tap'
import { type StatusReport, statusText } from '../../../src/features/admin/status-card.js'

const report = (events: StatusReport['events']): StatusReport => ({
  version: '0.1.0',
  startedAt: 0,
  transports: [],
  token: { valid: false, expiresAt: undefined },
  cache: { hits: 0, misses: 0 },
  messages: { handled: 0, failed: 0, duplicates: 0, rateLimited: 0 },
  events,
  inbox: { recovered: 0, tooOld: 0 },
  usage: { sinceStart: {}, month: '2026-11', thisMonth: {} },
  store: 'memory',
})

t.test('/status: the Events line, or that no transport subscribed to events', async (t) => {
  const counts = { received: 9, handled: 5, duplicates: 2, ignored: 1, failed: 1 }
  t.match(
    statusText(report(counts), 'en', 'UTC', 1000),
    '- **Events:** 9 received: 5 handled, 2 duplicates ignored, 1 of types nobody handles, 1 failed (pushed again)',
  )
  t.match(
    statusText(report(counts), 'zh-CN', 'UTC', 1000),
    '- **事件:** 收到 9：已处理 5，忽略重复 2，无人处理的类型 1，失败 1（将重新推送）',
  )
  t.match(
    statusText(report(undefined), 'en', 'UTC', 1000),
    '- **Events:** not subscribed (that takes the Stream transport and a feature that handles events)',
  )
  t.match(
    statusText(report(undefined), 'zh-CN', 'UTC', 1000),
    '- **事件:** 未订阅（需要 Stream 连接和处理事件的功能）',
  )
})
