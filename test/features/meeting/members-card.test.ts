import t from 'tap'
import type { Locale } from '../../../src/core/locale.js'
import type { ConferenceInfo, ConferenceMember, MemberList } from '../../../src/dingtalk/conference.js'
import { membersCard, SHOWN } from '../../../src/features/meeting/members-card.js'
import type { MeetingLookup } from '../../../src/features/meeting/service.js'
import { fixture } from '../../helpers/index.js'

const MIN = 60_000
const live = fixture<{ confInfo: ConferenceInfo }>('conference-info-live').confInfo
const ended = fixture<{ confInfo: ConferenceInfo }>('conference-info-ended').confInfo
const START = live.startTime as number
const NOW = START + 25 * MIN + 10_000
const mention = { staffId: 'manager4821', nick: '李雷' }

/** Someone in the meeting, or (with `left`) gone: minutes from the start. */
function member(nick: string, joined: number, over: Partial<ConferenceMember> & { left?: number } = {}) {
  const { left, ...rest } = over
  return {
    unionId: `u-${nick}`,
    userNick: nick,
    joinTime: START + joined * MIN,
    ...(left === undefined
      ? { attendStatus: 3, duration: NOW - (START + joined * MIN) }
      : { attendStatus: 6, leaveTime: START + left * MIN, duration: (left - joined) * MIN }),
    host: false,
    coHost: false,
    pstnJoin: false,
    ...rest,
  } as ConferenceMember
}

const liveMembers: ConferenceMember[] = [
  member('Li Lei', 14),
  member('王芳', 1, { coHost: true }),
  member('张伟', 0, { host: true }),
  member('Alice Chen', 3, { outerOrgMember: true }),
  member('138****5678', 8, { pstnJoin: true }),
  member('Han Meimei', 2, { left: 12 }),
  member('Zed', 4, { left: 20, attendStatus: 5 }),
  { unionId: 'u-called', userNick: 'Being Called', attendStatus: 2 },
]
const endedMembers: ConferenceMember[] = [
  member('张伟', 0, { left: 45, host: true }),
  member('Lucy Wang', 5, { left: 30 }),
  member('Bob Miller', 2, { left: 45, outerOrgMember: true }),
  member('139****2468', 10, { left: 40, pstnJoin: true }),
]

const list = (members: ConferenceMember[], over: Partial<MemberList> = {}): MemberList => ({
  members,
  totalCount: members.length,
  truncated: false,
  ...over,
})
const lookup = (conference: ConferenceInfo, sharedCount = 1, choice: MeetingLookup['choice'] = 'byId') => ({
  conference,
  sharedCount,
  choice,
})
const text = (r: ReturnType<typeof membersCard>) => (r.msgtype === 'markdown' ? r.markdown.text : '')

for (const locale of ['en', 'zh-CN'] as Locale[]) {
  t.test(locale, async (t) => {
    t.matchSnapshot(
      membersCard(
        { lookup: lookup(live, 2, 'inProgress'), list: list(liveMembers) },
        { locale, timeZone: 'Asia/Shanghai', now: NOW },
      ),
      'in progress',
    )
    t.matchSnapshot(
      membersCard(
        { lookup: lookup(ended), list: list(endedMembers) },
        { locale, timeZone: 'Asia/Shanghai', now: NOW, mention },
      ),
      'ended, in a group',
    )
  })
}

t.test('in progress: who is in (host first), who left, who was invited and did not come', async (t) => {
  const card = membersCard(
    { lookup: lookup(live), list: list(liveMembers) },
    { locale: 'en', timeZone: 'UTC', now: NOW },
  )
  t.equal(card.msgtype, 'markdown')
  t.equal(card.msgtype === 'markdown' && card.markdown.title, 'Sprint 43 retrospective · Participants')
  const body = text(card)
  t.match(
    body,
    '#### Sprint 43 retrospective · Participants\n- **Status:** 🟢 In progress · running for 25 min',
  )
  t.match(
    body,
    [
      '**In the meeting now (5)**',
      '- 张伟 (host) · 25 min',
      '- 王芳 (co-host) · 24 min',
      '- Alice Chen (external) · 22 min',
      '- 138\\*\\*\\*\\*5678 (by phone) · 17 min', // the masked number's stars escaped
      '- Li Lei · 11 min',
    ].join('\n'),
  )
  t.match(
    body,
    '**Joined and left (2)**\n- Zed (removed) · 16 min\n- Han Meimei · 10 min',
    'latest to leave first',
  )
  t.match(body, 'Invited, not joined: 8', '14 invited, 6 joined (the API counts); one is being called')
  t.notMatch(body, 'Being Called', 'someone being called is not in the meeting')
  t.notMatch(body, 'Attended')
})

t.test('ended: who attended and for how long, longest first', async (t) => {
  const body = text(
    membersCard(
      { lookup: lookup(ended), list: list(endedMembers) },
      { locale: 'zh-CN', timeZone: 'UTC', now: NOW },
    ),
  )
  t.match(body, '- **状态:** ⚪ 已结束 · 45分钟30秒')
  t.match(
    body,
    [
      '**参会人员（4 人）**',
      '- 张伟（主持人） · 45分钟',
      '- Bob Miller（外部） · 43分钟',
      '- 139\\*\\*\\*\\*2468（电话入会） · 30分钟',
      '- Lucy Wang · 25分钟',
    ].join('\n'),
  )
  t.match(body, '已邀请未入会：2 人', '14 invited, 12 attended')
  t.notMatch(body, '当前在会')
})

t.test('a long list is cut with "and N more"; names are escaped', async (t) => {
  const many = Array.from({ length: SHOWN.inNow + 7 }, (_, i) => member(`p${i}`, i % 20))
  const evil = member('*Eve* [x](http://evil)\n#### fake', 1, { left: 2 })
  const body = text(
    membersCard(
      {
        lookup: lookup({ ...live, invitedNum: 5, attendNum: 40 }),
        list: list([...many, evil, member('', 3)]),
      },
      { locale: 'en', timeZone: 'UTC', now: NOW },
    ),
  )
  t.match(body, `**In the meeting now (${SHOWN.inNow + 8})**`)
  t.match(body, '- …and 8 more')
  t.equal(
    body.split('\n').filter((l) => / · \d+ min$/.test(l)).length,
    SHOWN.inNow + 1,
    '20 now and 1 who left',
  )
  t.match(body, '- \\*Eve\\* \\[x\\](http://evil) #### fake · 1 min')
  t.notMatch(body, '\n#### fake', 'a name cannot add a line')
  t.notMatch(body, 'Invited, not joined', 'more came than were invited: nothing to say')
  const zh = text(
    membersCard({ lookup: lookup(live), list: list(many) }, { locale: 'zh-CN', timeZone: 'UTC', now: NOW }),
  )
  t.match(zh, '- ……还有 7 人')
})

t.test('nobody yet, nobody at all, truncated lists, a shared room code, odd members', async (t) => {
  const upcoming: ConferenceInfo = {
    ...live,
    status: 0,
    startTime: NOW + 5 * MIN,
    activeNum: 0,
    attendNum: 0,
  }
  const soon = text(
    membersCard({ lookup: lookup(upcoming), list: list([]) }, { locale: 'en', timeZone: 'UTC', now: NOW }),
  )
  t.match(soon, '🕒 Not started · starts in 5 min\n\nNobody has joined yet.\n\nInvited, not joined: 14')
  const empty = text(
    membersCard(
      { lookup: lookup({ ...ended, invitedNum: 0, attendNum: 0 }), list: list([]) },
      { locale: 'en', timeZone: 'UTC', now: NOW },
    ),
  )
  t.match(empty, '\n\nNobody attended.')
  t.notMatch(empty, 'Invited')

  const truncated = text(
    membersCard(
      {
        lookup: lookup(live, 3, 'inProgress'),
        list: list(liveMembers, { truncated: true, totalCount: 2000 }),
      },
      { locale: 'en', timeZone: 'UTC', now: NOW },
    ),
  )
  t.match(truncated, '> Only the first 8 of 2000 participants were read.')
  t.match(truncated, '> 3 meetings use this room code; this is the one in progress.')

  // What DingTalk may leave out: a nick, a duration, the counts.
  const bare: ConferenceInfo = { conferenceId: 'x', status: 2 }
  const odd = text(
    membersCard(
      {
        lookup: lookup(bare),
        list: list([
          { attendStatus: 3, joinTime: NOW - 30_000 },
          { userNick: 'Ghost', attendStatus: 6 },
          { userNick: 'Declined', attendStatus: 4 },
        ]),
      },
      { locale: 'en', timeZone: 'UTC', now: NOW, mention: { staffId: '', nick: 'guest' } },
    ),
  )
  t.match(odd, '#### (untitled meeting) · Participants\n- **Status:** 🟢 In progress\n')
  t.match(odd, '- (no name) · 30 s', 'under a minute: seconds, from the join time')
  t.match(odd, '- Ghost\n', 'no duration: none shown')
  t.match(odd, 'Invited, not joined: 1', 'no counts: the members listed as not joined')
  t.match(odd, /\n\n@guest$/, 'an outsider is named')
})
