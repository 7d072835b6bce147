import t from 'tap'
import { formatDuration, formatTime } from '../../src/cards/format.js'
import { escapeMarkdown } from '../../src/core/reply.js'

t.test('durations', async (t) => {
  const h = 3600_000
  const min = 60_000
  t.equal(formatDuration(90 * min, 'en'), '1 h 30 min')
  t.equal(formatDuration(90 * min, 'zh-CN'), '1小时30分钟')
  t.equal(formatDuration(2730_000, 'en'), '45 min 30 s', 'under an hour, seconds count')
  t.equal(formatDuration(2730_000, 'zh-CN'), '45分钟30秒')
  t.equal(formatDuration(2 * h + 30_000, 'en'), '2 h', 'hours drop the seconds')
  t.equal(formatDuration(26 * h + 5 * min, 'en'), '1 d 2 h', 'days drop the minutes')
  t.equal(formatDuration(26 * h, 'zh-CN'), '1天2小时')
  t.equal(formatDuration(45_000, 'en'), '45 s')
  t.equal(formatDuration(0, 'en'), '0 s')
  t.equal(formatDuration(-5000, 'en'), '0 s')
  t.equal(formatDuration(45_000, 'en', 'minutes'), '0 min')
  t.equal(formatDuration(25 * min + 59_000, 'en', 'minutes'), '25 min')
})

t.test('times in a zone and locale', async (t) => {
  const ts = 1764723600000 // 2025-12-03T01:00:00Z
  t.equal(formatTime(ts, 'en', 'Asia/Shanghai'), 'Wed, 3 Dec 2025 09:00 (GMT+8)')
  t.equal(formatTime(ts, 'zh-CN', 'Asia/Shanghai'), '2025年12月3日 周三 09:00 (GMT+8)')
  t.equal(formatTime(ts, 'en', 'America/New_York'), 'Tue, 2 Dec 2025 20:00 (GMT-5)')
  t.equal(formatTime(ts + 3600_000, 'en', 'Asia/Shanghai', ts), '10:00 (GMT+8)', 'same day: time only')
  t.equal(
    formatTime(ts + 16 * 3600_000, 'en', 'Asia/Shanghai', ts),
    'Thu, 4 Dec 2025 01:00 (GMT+8)',
    'next day in that zone',
  )
})

t.test('escapeMarkdown neutralises user text', async (t) => {
  t.equal(
    escapeMarkdown('**bold** [x](http://evil) `c` _i_ ~s~'),
    '\\*\\*bold\\*\\* \\[x\\](http://evil) \\`c\\` \\_i\\_ \\~s\\~',
  )
  t.equal(escapeMarkdown('<img src=x>'), '&lt;img src=x&gt;')
  t.equal(escapeMarkdown('line1\n#### line2\r\n'), 'line1 #### line2')
  t.equal(escapeMarkdown('a\\b'), 'a\\\\b')
  t.equal(escapeMarkdown('Sprint 43 retrospective'), 'Sprint 43 retrospective', 'plain text untouched')
})
