import t from 'tap'
import type { Locale } from '../../../src/core/locale.js'
import type { ConferenceInfo } from '../../../src/dingtalk/conference.js'
import { meetingCard } from '../../../src/features/meeting/card.js'
import type { MeetingLookup } from '../../../src/features/meeting/service.js'
import { fixture } from '../../helpers/index.js'

const live = fixture<{ confInfo: ConferenceInfo }>('conference-info-live').confInfo
const ended = fixture<{ confInfo: ConferenceInfo }>('conference-info-ended').confInfo
const upcoming: ConferenceInfo = {
  ...live,
  conferenceId: '0123456789abcdef01234567',
  title: 'Design review',
  status: 0,
  startTime: live.startTime as number,
  activeNum: 0,
  attendNum: 0,
  cloudRecordStatus: 0,
}
const NOW = (live.startTime as number) + 25 * 60_000 + 10_000
const lookup = (
  conference: ConferenceInfo,
  sharedCount = 1,
  choice: MeetingLookup['choice'] = 'byId',
): MeetingLookup => ({
  conference,
  sharedCount,
  choice,
})
const mention = { staffId: 'manager4821', nick: '李雷' }

for (const locale of ['en', 'zh-CN'] as Locale[]) {
  for (const timeZone of ['Asia/Shanghai', 'Europe/London']) {
    t.test(`${locale} ${timeZone}`, async (t) => {
      t.matchSnapshot(
        meetingCard(lookup(live, 2, 'inProgress'), { locale, timeZone, now: NOW }),
        'in progress, shared code',
      )
      t.matchSnapshot(
        meetingCard(lookup(ended), { locale, timeZone, now: NOW, mention }),
        'ended, in a group',
      )
      t.matchSnapshot(
        meetingCard(lookup(upcoming), {
          locale,
          timeZone,
          now: (upcoming.startTime as number) - 2 * 3600_000 - 5 * 60_000,
        }),
        'not started',
      )
    })
  }
}

t.test('live meeting: actionCard with a Join button to the join link', async (t) => {
  const card = meetingCard(lookup(live), { locale: 'en', timeZone: 'Asia/Shanghai', now: NOW })
  t.equal(card.msgtype, 'actionCard')
  if (card.msgtype !== 'actionCard') return
  t.equal(card.actionCard.singleTitle, 'Join meeting')
  t.equal(card.actionCard.singleURL, live.externalLinkUrl)
  t.match(card.actionCard.text, '- **Status:** 🟢 In progress')
  t.match(card.actionCard.text, '- **Duration:** running for 25 min')
  t.match(card.actionCard.text, '5 in the meeting now · 6 joined in total · 14 invited')
  t.match(card.actionCard.text, '- **Room code:** 615 902 734')
  t.match(card.actionCard.text, '- **Cloud recording:** recording')
  t.equal(card.actionCard.title, 'Sprint 43 retrospective · In progress')
})

t.test('ended meeting: markdown, exact duration, end time, mention in a group', async (t) => {
  const card = meetingCard(lookup(ended), { locale: 'zh-CN', timeZone: 'Asia/Shanghai', now: NOW, mention })
  t.equal(card.msgtype, 'markdown')
  if (card.msgtype !== 'markdown') return
  t.match(card.markdown.text, '- **状态:** ⚪ 已结束')
  t.match(card.markdown.text, '- **开始时间:** 2025年11月26日 周三 09:00 (GMT+8)')
  t.match(card.markdown.text, '- **结束时间:** 09:45 (GMT+8)')
  t.match(card.markdown.text, '- **时长:** 45分钟30秒')
  t.match(card.markdown.text, '累计入会 12 人 · 邀请 14 人')
  t.notMatch(card.markdown.text, '当前在会', 'no "in the meeting now" once ended')
  t.match(card.markdown.text, /\n\n@manager4821$/)
  t.same(card.at, { atUserIds: ['manager4821'], isAtAll: false })
})

t.test('not started: starts in, invited only, Join button', async (t) => {
  const card = meetingCard(lookup(upcoming), {
    locale: 'en',
    timeZone: 'Asia/Shanghai',
    now: (upcoming.startTime as number) - 90 * 60_000,
  })
  t.equal(card.msgtype, 'actionCard')
  const text = card.msgtype === 'actionCard' ? card.actionCard.text : ''
  t.match(text, '- **Duration:** starts in 1 h 30 min')
  t.match(text, '- **Participants:** 14 invited')
  t.notMatch(text, 'Cloud recording')
  const late = meetingCard(lookup(upcoming), {
    locale: 'en',
    timeZone: 'Asia/Shanghai',
    now: (upcoming.startTime as number) + 5 * 60_000,
  })
  t.match(late.msgtype === 'actionCard' ? late.actionCard.text : '', 'scheduled 5 min ago, not started yet')
})

t.test('user-controlled text is escaped; a bad join link gets no button', async (t) => {
  const evil: ConferenceInfo = {
    ...live,
    title: '**Pwn** [click](http://evil)\n#### fake',
    creatorNick: '<b>x</b>',
    externalLinkUrl: 'javascript:alert(1)',
  }
  const card = meetingCard(lookup(evil), {
    locale: 'en',
    timeZone: 'UTC',
    now: NOW,
    mention: { staffId: '', nick: '_guest_' },
  })
  t.equal(card.msgtype, 'markdown', 'no button for a non-http link')
  if (card.msgtype !== 'markdown') return
  t.match(card.markdown.text, '#### \\*\\*Pwn\\*\\* \\[click\\](http://evil) #### fake\n')
  t.match(card.markdown.text, '&lt;b&gt;x&lt;/b&gt;')
  t.match(card.markdown.text, /@\\_guest\\_$/, 'an outsider is named, not mentioned')
  t.equal(card.at, undefined, 'no staff id: no at list')
})

t.test('actionCard in a group names the asker (actionCard cannot @-mention)', async (t) => {
  const card = meetingCard(lookup(live), { locale: 'en', timeZone: 'UTC', now: NOW, mention })
  t.match(card.msgtype === 'actionCard' ? card.actionCard.text : '', /\n\n@李雷$/)
})

t.test('missing fields degrade gracefully', async (t) => {
  const bare: ConferenceInfo = { conferenceId: 'x', status: 2 }
  const card = meetingCard(lookup(bare), { locale: 'en', timeZone: 'UTC', now: NOW })
  t.equal(card.msgtype, 'markdown')
  const text = card.msgtype === 'markdown' ? card.markdown.text : ''
  t.match(text, '#### (untitled meeting)')
  t.match(text, 'unknown in the meeting now')
  t.notMatch(text, 'Start')
})

t.test('the same cached conference: parts are reused, the duration follows the clock', async (t) => {
  const ctx = { locale: 'en' as Locale, timeZone: 'Asia/Shanghai' }
  const text = (r: ReturnType<typeof meetingCard>) =>
    r.msgtype === 'actionCard' ? r.actionCard.text : r.msgtype === 'markdown' ? r.markdown.text : ''
  const first = text(meetingCard(lookup(live), { ...ctx, now: NOW }))
  const later = text(meetingCard(lookup(live), { ...ctx, now: NOW + 60 * 60_000 }))
  t.match(first, 'running for 25 min')
  t.match(later, 'running for 1 h 25 min')
  t.equal(
    later.replace(/running for [^\n]*/, ''),
    first.replace(/running for [^\n]*/, ''),
    'the rest is the same',
  )
  const shared = text(meetingCard(lookup(live, 3, 'inProgress'), { ...ctx, now: NOW }))
  t.match(shared, '3 meetings', 'another lookup shape of the same conference is its own card')
  t.notMatch(first, '3 meetings')
  const zh = text(meetingCard(lookup(live), { ...ctx, locale: 'zh-CN', now: NOW }))
  t.not(zh, first, 'another locale is its own card')
})
