import t from 'tap'
import type { ConferenceInfo } from '../../../src/dingtalk/conference.js'
import { cardData, changedKeys, membersData, stateOf } from '../../../src/features/livecard/view.js'

const START = Date.UTC(2026, 11, 2, 2, 0) // 10:00 in Shanghai
const base: ConferenceInfo = {
  conferenceId: 'conf-1',
  title: 'Weekly <script>alert(1)</script> *sync*',
  roomCode: '615902734',
  status: 2,
  startTime: START,
  creatorNick: 'Li Lei',
  externalLinkUrl: 'https://meeting.dingtalk.com/app?roomCode=615902734',
  activeNum: 5,
  attendNum: 7,
  invitedNum: 14,
}
const ctx = { locale: 'en' as const, timeZone: 'Asia/Shanghai', watching: false, liveHours: 6 }

t.test('a running meeting: every value a string, the live variables filled', async (t) => {
  const data = cardData(stateOf(base), { ...ctx, now: START + 12 * 60_000 })
  for (const [k, v] of Object.entries(data)) t.type(v, 'string', `${k} is a string`)
  t.equal(data.status, 'in_progress')
  t.equal(data.activeNum, '5')
  t.equal(data.attendNum, '7')
  t.equal(data.elapsed, '12 min')
  t.equal(data.showJoin, 'true')
  t.equal(data.joinUrl, base.externalLinkUrl)
  t.equal(data.live, 'true')
  t.equal(data.watchAction, 'watch')
  t.match(data.note, /^Live · updated 10:12/)
  t.match(data.body, /5 in the meeting now · 7 joined in total · 14 invited/)
  t.match(data.body, /615 902 734/)
  // User-controlled text cannot add markup to the body; the title variable is plain text.
  t.notMatch(data.body, /<script>/)
  t.equal(data.title, base.title)
})

t.test('an ended meeting: the summary, no join button, not live', async (t) => {
  const ended = { ...base, status: 1 as const, endTime: START + 45 * 60_000, confDuration: 45 * 60_000 }
  const data = cardData(
    { ...stateOf(ended), host: 'Han Meimei', final: true },
    { ...ctx, now: START + 50 * 60_000 },
  )
  t.equal(data.status, 'ended')
  t.equal(data.showJoin, 'false')
  t.equal(data.joinUrl, '')
  t.equal(data.live, 'false')
  t.equal(data.elapsed, '45 min')
  t.equal(data.activeNum, '0')
  t.match(data.note, /^Final summary/)
  t.match(data.body, /- \*\*Host:\*\* Han Meimei/)
})

t.test('stopped cards say why, in the chat language', async (t) => {
  const s = stateOf(base)
  t.match(cardData(s, { ...ctx, now: START, stopped: 'expired' }).note, /after 6 h\): press Refresh/)
  t.equal(cardData(s, { ...ctx, now: START, stopped: 'expired' }).live, 'false')
  const zh = cardData(s, { ...ctx, locale: 'zh-CN', now: START, stopped: 'quota' })
  t.match(zh.note, /本月实时更新已暂停/)
  t.equal(zh.refreshLabel, '刷新')
  t.equal(cardData(s, { ...ctx, watching: true, now: START }).watchLabel, 'Unwatch')
})

t.test('changedKeys: the note alone is no change; the clock moves elapsed and body', async (t) => {
  const s = stateOf(base)
  const a = cardData(s, { ...ctx, now: START + 60_000 })
  const b = cardData(s, { ...ctx, now: START + 60_000 + 20_000 })
  t.same(changedKeys(a, b), [], 'same minute: nothing changed but the note')
  const c = cardData(s, { ...ctx, now: START + 3 * 60_000 })
  t.same(changedKeys(a, c).sort(), ['body', 'elapsed'])
  const d = cardData({ ...s, activeNum: 6 }, { ...ctx, now: START + 60_000 })
  t.same(changedKeys(a, d).sort(), ['activeNum', 'body'])
})

t.test('membersData: in the meeting first, hosts marked, names escaped, bounded', async (t) => {
  const members = [
    { userNick: 'Left *Early*', attendStatus: 6 as const, joinTime: 1 },
    { userNick: 'Host', attendStatus: 3 as const, host: true, joinTime: 2 },
    ...Array.from({ length: 40 }, (_, i) => ({
      userNick: `P${i}`,
      attendStatus: 3 as const,
      joinTime: 10 + i,
    })),
  ]
  const { members: text } = membersData(members, 'en')
  const lines = (text as string).split('\n')
  t.equal(lines[0], '**Members (30 of 42)**')
  t.equal(lines[1], '- Host (host) · in the meeting')
  t.equal(lines.length, 31)
  t.notOk(text?.includes('*Early*'), 'markup in a nick is escaped')
  t.match(membersData([], 'zh-CN').members, /暂未列出/)
  const long = Array.from({ length: 30 }, (_, i) => ({
    userNick: `参会人员很长的名字${i}号`,
    attendStatus: 3 as const,
  }))
  const cjk = membersData(long, 'zh-CN').members as string
  t.ok(Buffer.byteLength(cjk) <= 1024, `within DingTalk's 1 KB per value (${Buffer.byteLength(cjk)} bytes)`)
  t.match(cjk, /^\*\*参会人（\d+\/30）\*\*/, 'the title says how many of all are shown')
})
