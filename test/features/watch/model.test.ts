import t from 'tap'
import type { ConferenceInfo } from '../../../src/dingtalk/conference.js'
import {
  endedNotice,
  expiredNotice,
  quotaNotice,
  startedNotice,
  watchesList,
} from '../../../src/features/watch/card.js'
import { parseMemberEvent, parseStatusEvent } from '../../../src/features/watch/events.js'
import {
  advance,
  applyInfo,
  applyMemberEvent,
  applyStatusEvent,
  dueNotices,
  expiryOf,
  newTrack,
  peakOf,
  summaryOf,
  type Track,
  type Watch,
} from '../../../src/features/watch/model.js'
import { callsPerHour, pollInterval } from '../../../src/features/watch/schedule.js'

const MIN = 60_000
const T0 = Date.UTC(2026, 5, 10, 2, 0) // 10:00 in Shanghai
const CONF: ConferenceInfo = {
  conferenceId: 'abcdefabcdefabcdefabcdef',
  title: 'Design *sync* [v2]',
  roomCode: '372615948',
  status: 0,
  startTime: T0,
  creatorNick: 'Lucy_Wang',
  invitedNum: 6,
  externalLinkUrl: 'https://meeting.dingtalk.com/app?roomCode=372615948',
}

function watch(over: Partial<Watch> = {}): Watch {
  return {
    conferenceId: CONF.conferenceId,
    roomCode: CONF.roomCode,
    title: CONF.title,
    chat: {},
    conversationId: 'cid1',
    by: { staffId: 'u1', nick: 'Li *Lei*' },
    locale: 'en',
    timeZone: 'Asia/Shanghai',
    createdAt: T0 - 60 * MIN,
    instance: { of: 1, choice: 'upcoming' },
    skipStarted: false,
    snapshot: CONF,
    ...over,
  }
}

t.test('status only moves forward', async (t) => {
  t.equal(advance(0, 2), 2)
  t.equal(advance(2, 1), 1)
  t.equal(advance(1, 2), 1, 'an ended meeting does not run again')
  t.equal(advance(2, 0), 2)
  t.equal(advance(0, 7), 0, 'nonsense is ignored')
})

t.test('status events: ordered by statusSeqNum, "ended" from status', async (t) => {
  const tr = newTrack(CONF)
  t.ok(
    applyStatusEvent(tr, { seq: 1, bornAt: T0, conf: { status: 2, startTime: T0 + MIN, activeNum: 1 } }, T0),
  )
  t.equal(tr.status, 2)
  t.equal(tr.startedAt, T0 + MIN)
  const snapshot = JSON.stringify(tr)
  t.notOk(applyStatusEvent(tr, { seq: 1, bornAt: T0, conf: { status: 1 } }, T0), 'the same seq again')
  t.notOk(applyStatusEvent(tr, { seq: 0, bornAt: T0, conf: { status: 1 } }, T0), 'an older one')
  t.equal(JSON.stringify(tr), snapshot, 'changed nothing')
  t.ok(
    applyStatusEvent(
      tr,
      {
        seq: 5,
        bornAt: T0 + 61 * MIN,
        conf: { status: 1, confDuration: 60 * MIN, startTime: T0 + MIN, attendNum: 4 },
      },
      T0,
    ),
  )
  t.equal(tr.status, 1)
  t.equal(tr.endedAt, T0 + 61 * MIN, 'start + duration')
  t.equal(tr.attendNum, 4)
})

t.test('member events: per person in seq order; the most at once from the stints', async (t) => {
  const tr = newTrack({ ...CONF, status: 2 })
  const join = (seq: number, userId: string, at: number, host = false) =>
    applyMemberEvent(tr, seq, at, [{ userId, nick: userId, attendStatus: 3, joinTime: at, host }], at)
  const leave = (seq: number, userId: string, joined: number, at: number) =>
    applyMemberEvent(tr, seq, at, [{ userId, attendStatus: 6, joinTime: joined, leaveTime: at }], at)
  t.ok(join(2, 'ann', T0, true))
  t.ok(join(3, 'bob', T0 + 5 * MIN))
  t.ok(leave(4, 'bob', T0 + 5 * MIN, T0 + 10 * MIN))
  const snapshot = JSON.stringify(tr)
  t.notOk(join(3, 'bob', T0 + 5 * MIN), 'a late join (older seq) does not reopen the stint')
  t.notOk(leave(4, 'bob', T0 + 5 * MIN, T0 + 10 * MIN), 'a duplicate')
  t.equal(JSON.stringify(tr), snapshot)
  t.ok(join(6, 'cid', T0 + 10 * MIN), 'joins the moment bob leaves')
  t.ok(join(7, 'bob', T0 + 20 * MIN), 'bob comes back')
  t.equal(peakOf(tr.people), 3, 'ann, cid and bob again; the hand-over at +10 min is not three')
  t.equal(tr.host, 'ann')
  t.same(tr.people.bob?.stints, [
    [T0 + 5 * MIN, T0 + 10 * MIN],
    [T0 + 20 * MIN, null],
  ])
  t.equal(summaryOf(tr).joined, 3, 'three people joined (bob once)')
  t.equal(peakOf({}), 0)
})

t.test('polls fold in; an old answer never undoes news', async (t) => {
  const tr = newTrack(CONF)
  applyInfo(tr, {
    ...CONF,
    status: 2,
    startTime: T0 + 2 * MIN,
    activeNum: 5,
    attendNum: 6,
    cloudRecordStatus: 1,
  })
  t.match(tr, { status: 2, startedAt: T0 + 2 * MIN, maxActive: 5, attendNum: 6, recording: 1 })
  applyInfo(tr, { ...CONF, status: 0, startTime: T0 + 99 * MIN })
  t.equal(tr.status, 2, 'a stale "not started" does not go back')
  t.equal(tr.startedAt, T0 + 2 * MIN)
  applyInfo(tr, {
    ...CONF,
    status: 1,
    startTime: T0 + 2 * MIN,
    endTime: T0 + 62 * MIN,
    confDuration: 60 * MIN,
    activeNum: 0,
    attendNum: 7,
    cloudRecordStatus: 3,
  })
  t.match(summaryOf(tr), {
    startedAt: T0 + 2 * MIN,
    endedAt: T0 + 62 * MIN,
    durationMs: 60 * MIN,
    joined: 7,
    mostAtOnce: 5,
    recording: 3,
  })
  const rescheduled = newTrack(CONF)
  applyInfo(rescheduled, { ...CONF, startTime: T0 + 30 * MIN })
  t.equal(rescheduled.scheduledStart, T0 + 30 * MIN, 'a rescheduled meeting moves its polls')
  t.equal(
    newTrack({ ...CONF, externalLinkUrl: 'javascript:alert(1)' }).joinUrl,
    undefined,
    'http(s) links only',
  )
})

t.test('poll intervals: rare far ahead, often near the start and while running', async (t) => {
  const P = 60_000
  const at = (ms: number, over: Partial<Track> = {}) =>
    pollInterval({ ...newTrack(CONF), ...over }, T0 - ms, P)
  t.equal(at(7 * 24 * 60 * MIN), 4 * 60 * MIN, 'a week ahead: every 4 h')
  t.equal(at(2 * 60 * MIN), 30 * MIN, '2 h ahead: a quarter of the time left')
  t.equal(at(20 * MIN), 5 * MIN)
  t.equal(at(15 * MIN), P, 'from 15 min before: every poll interval')
  t.equal(at(-29 * MIN), P, 'until 30 min after')
  t.equal(at(-31 * MIN), 5 * P, 'later: every 5')
  t.equal(at(0, { status: 2 }), P, 'running, no events: every interval')
  t.equal(at(0, { status: 2, lastEventAt: T0 - 5 * MIN }), 10 * P, 'running with events: a safety net')
  t.equal(callsPerHour({ ...newTrack(CONF), status: 2 }, T0, P), 60)
  t.equal(callsPerHour({ ...newTrack(CONF), status: 1 }, T0, P), 0)
})

t.test('expiry and the notices a watch is owed', async (t) => {
  const tr = newTrack(CONF)
  const w = watch()
  t.equal(expiryOf(tr, w), T0 + 24 * 60 * MIN, '24 h after the scheduled start')
  t.same(dueNotices(tr, w, T0), [])
  t.same(dueNotices(tr, w, T0 + 24 * 60 * MIN), ['expired'])
  const live = { ...tr, status: 2 as const, startedAt: T0 + 3 * MIN }
  t.same(dueNotices(live, w, T0 + 4 * MIN), ['started'])
  t.same(
    dueNotices(live, watch({ skipStarted: true }), T0 + 4 * MIN),
    [],
    'watched while running: no started',
  )
  t.same(dueNotices(live, w, T0 + 3 * MIN + 24 * 60 * MIN), ['expired'], 'still running a day later')
  t.same(dueNotices({ ...tr, status: 1 }, w, T0), [], 'ended: the summary waits for the final fetch')
  t.same(dueNotices({ ...tr, status: 1, final: true }, w, T0), ['ended'])
  t.equal(expiryOf({ ...tr, status: 1 }, w), undefined)
})

t.test('event payloads are validated, junk is ignored', async (t) => {
  t.equal(parseStatusEvent(null), undefined)
  t.equal(parseStatusEvent({ openConfModel: { conferenceId: 'x' } }), undefined, 'no statusSeqNum')
  t.same(
    parseStatusEvent({
      openConfModel: { conferenceId: 'x', status: '2', startTime: 'soon' },
      statusSeqNum: '3',
    }),
    {
      seq: 3,
      conf: { conferenceId: 'x', status: 2 },
    },
  )
  t.equal(parseMemberEvent({ openMemberModels: 'x', statusSeqNum: 1 }), undefined)
  const m = parseMemberEvent({
    statusSeqNum: 2,
    openMemberModels: [
      { conferenceId: 'c', userId: 'u', attendStatus: 3, joinTime: 5, host: true },
      { userId: 'no conference' },
      7,
    ],
  })
  t.same([...(m?.byConference ?? [])], [['c', [{ userId: 'u', attendStatus: 3, joinTime: 5, host: true }]]])
})

t.test('the notices, escaped, in both languages', async (t) => {
  const tr: Track = { ...newTrack(CONF), status: 2, startedAt: T0 + 2 * MIN }
  t.same(startedNotice(tr, watch()), {
    msgtype: 'actionCard',
    actionCard: {
      title: 'Design *sync* [v2] has started',
      text: [
        '#### 🟢 Design \\*sync\\* \\[v2\\] has started',
        '- **Room code:** 372 615 948',
        '- **Started:** Wed, 10 Jun 2026 10:02 (GMT+8)',
        '- **Creator:** Lucy\\_Wang',
        '',
        '> Watched by Li \\*Lei\\*; a summary follows when it ends.',
      ].join('\n'),
      singleTitle: 'Join meeting',
      singleURL: 'https://meeting.dingtalk.com/app?roomCode=372615948',
    },
  })
  t.match(startedNotice({ ...tr, joinUrl: undefined }, watch({ locale: 'zh-CN' })), {
    msgtype: 'markdown',
    markdown: { title: 'Design *sync* [v2] 已开始' },
  })
  const ended = endedNotice(
    {
      ...summaryOf({ ...tr, status: 1, endedAt: T0 + 92 * MIN, attendNum: 5, maxActive: 4, recording: 3 }),
      host: undefined,
    },
    watch(),
  )
  t.equal(
    (ended as { markdown: { text: string } }).markdown.text,
    [
      '#### ⚪ Design \\*sync\\* \\[v2\\] has ended',
      '- **Room code:** 372 615 948',
      '- **Start:** Wed, 10 Jun 2026 10:02 (GMT+8)',
      '- **End:** 11:32 (GMT+8)',
      '- **Duration:** 1 h 30 min',
      '- **Participants:** 5 joined in total · 6 invited',
      '- **Most at once:** 4 (as far as I saw)',
      '- **Creator:** Lucy\\_Wang',
      '- **Cloud recording:** finished',
      '',
      '> Watched by Li \\*Lei\\*. The watch is done.',
    ].join('\n'),
  )
  const bare = endedNotice(summaryOf(newTrack({ conferenceId: 'x', status: 1 })), watch({ locale: 'zh-CN' }))
  t.match(
    (bare as { markdown: { text: string } }).markdown.text,
    '- **参会人数:** 累计入会 未知 人 · 邀请 未知 人',
  )
  t.match(expiredNotice(newTrack(CONF), watch()), {
    markdown: {
      text: /It had not started 24 hours after its scheduled start \(Wed, 10 Jun 2026 10:00 \(GMT\+8\)\)/,
    },
  })
  t.match(
    quotaNotice([watch()], 1000, 1000, Date.UTC(2026, 6, 1), { locale: 'zh-CN', timeZone: 'Asia/Shanghai' }),
    {
      markdown: {
        title: '会议关注已暂停',
        text: /已用完（1000\/1000 次），2026年7月1日 周三 08:00 \(GMT\+8\) 之前我不再查询 \*\*Design/,
      },
    },
  )
  const list = watchesList(
    [{ watch: watch(), track: tr, expiresAt: T0 + 26 * 60 * MIN, perHour: 60, sharedWith: 1 }],
    10,
    { spent: 12, budget: 1000, quota: 5000, paused: false },
    { locale: 'en', timeZone: 'Asia/Shanghai' },
  )
  t.match(
    list,
    '- **Design \\*sync\\* \\[v2\\]** (372 615 948) · 🟢 in progress since Wed, 10 Jun 2026 10:02 (GMT+8)',
  )
  t.match(list, '  0 API calls so far, about 60 an hour now (shared with 1 other chat)')
})
