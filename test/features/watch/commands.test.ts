import t from 'tap'
import { type EmulatorMeeting, sampleMeetings } from '../../../src/emulator/meetings.js'
import { startStack } from '../../helpers/index.js'
import { ask, chat } from './helpers.js'

function meetings(now: number): EmulatorMeeting[] {
  return [
    ...sampleMeetings(now),
    {
      conferenceId: 'abcdefabcdefabcdefabcd01',
      roomCode: '246813579',
      title: 'Next quarter kick-off',
      status: 0,
      startTime: now + 40 * 24 * 3600_000,
      creatorNick: 'Me',
    },
  ]
}

t.test('watch, unwatch, watches: bad input gets a clear answer and changes nothing', async (t) => {
  const s = await startStack(t, {
    meetings: meetings(Date.now()),
    env: { BOT_WATCH_MAX_PER_CHAT: '2', BOT_WATCH_MAX: '3', BOT_WATCH_POLL_MS: '3600000' },
    // One chat asks more than DingTalk's ~20 a minute here: no pacing, every answer inline.
    tuning: { pacing: { limit: 1000, windowMs: 60_000, maxWaitMs: 60_000 } },
  })
  const watched = async () => (await s.app.store.entries('watch:')).length
  const c = chat(s.emu)

  const usage = 'Send "watch <room code | conference id | join link>", e.g. "watch 372 615 948"'
  t.match(await ask(s, c, 'watch'), usage, 'no code: the usage')
  t.match(await ask(s, c, 'watch tomorrow'), usage, 'not a code: the usage')
  t.match(await ask(s, c, '关注'), '请发送“关注 <会议号 | 会议 ID | 入会链接>”', 'in Chinese')
  t.match(await ask(s, c, 'watch 999 999 999'), 'No meeting found for that code.', 'an unknown room')
  t.match(await ask(s, c, 'watch 100 200 300'), 'I am not allowed to read this meeting.')
  t.match(await ask(s, c, 'watch 427212345'), '**Quarterly planning** (427 212 345) has already ended')
  t.match(await ask(s, c, 'watch 246813579'), 'is scheduled more than 30 days ahead')
  t.equal(await watched(), 0, 'none of that made a watch')

  t.match(
    await ask(s, c, 'watch https://meeting.dingtalk.com/app?roomCode=372615948'),
    'Watching **Design sync**',
  )
  t.match(await ask(s, c, 'watch 372 615 948'), 'This chat already watches **Design sync** (372 615 948).')
  const live = await ask(s, c, '关注 728301956')
  t.match(live, '已关注 **Weekly stand-up** (728 301 956)，自')
  t.match(live, '该会议号对应 3 场会议，关注的是正在进行的一场。', 'which of the recurring meetings')
  t.match(
    await ask(s, c, 'watch 583480813'),
    'This chat already watches 2 meetings, the most it may. Send "unwatch <room code>" to drop one first.',
  )
  t.match(await ask(s, c, '关注 583480813'), '这个聊天已经关注了 2 场会议，达到上限。')
  t.equal(await watched(), 2, 'over the per-chat cap: nothing added')

  const other = chat(s.emu)
  t.match(await ask(s, other, 'watch 583480813'), 'Watching **产品评审会**')
  t.match(
    await ask(s, chat(s.emu), 'watch 372615948'),
    'I already watch 3 meetings across all chats, the most I may.',
    'the global cap',
  )
  t.match(await ask(s, chat(s.emu), '关注 372615948'), '我已经在所有聊天中关注了 3 场会议，达到上限。')
  t.equal(await watched(), 3)

  const single = chat(s.emu, { conversationType: '1', senderStaffId: '' })
  t.match(await ask(s, single, 'watch 372615948'), 'I can only message you directly if you are a member')

  t.match(await ask(s, c, 'unwatch'), 'Send "unwatch <room code | conference id | join link>"')
  t.match(await ask(s, c, 'unwatch 427212345'), 'This chat does not watch 427 212 345.')
  t.match(await ask(s, c, '取消关注 427212345'), '这个聊天没有关注 427 212 345。')
  t.match(await ask(s, other, '取消关注 372615948'), '其他聊天关注了它，只有管理员可以取消它们的关注。')
  t.match(
    await ask(s, other, 'unwatch 372615948'),
    'This chat does not watch 372 615 948. Other chats do; only admins may remove their watches.',
    'a non-admin cannot remove another chat’s watch',
  )
  t.equal(await watched(), 3, 'nothing removed')

  const list = await ask(s, c, 'watches')
  t.match(list, '#### Watches in this chat (2 of 2)')
  t.match(list, '- **Design sync** (372 615 948) · 🕒 scheduled ')
  t.match(list, '- **Weekly stand-up** (728 301 956) · 🟢 in progress since ')
  t.match(list, /0 API calls so far, about 1 an hour now/)
  t.match(list, 'Watches this month: 0 of 1000 API calls (20% of the monthly quota of 5000).')
  t.match(await ask(s, other, '关注列表'), '这个聊天关注的会议（1/2）')

  const admin = { isAdmin: true, senderStaffId: 'boss0001', senderNick: 'Boss' }
  t.match(
    await ask(s, other, 'unwatch 372 615 948', admin),
    'Removed 1 watch of **Design sync** (372 615 948) in other chats.',
    'an admin may',
  )
  t.match(
    await ask(s, c, 'unwatch 728301956'),
    'Stopped watching **Weekly stand-up** (728 301 956) in this chat.',
  )
  t.match(await ask(s, c, 'watches'), 'This chat watches no meetings.')
  t.match(await ask(s, other, '取消关注 583480813'), '这个聊天已取消关注 **产品评审会** (583 480 813)。')
  t.equal(await watched(), 0)

  await ask(s, c, 'watch 372615948')
  await ask(s, other, 'watch 372615948')
  const notAll = await ask(s, c, 'unwatch 372615948 all')
  t.match(notAll, 'Stopped watching **Design sync** (372 615 948) in this chat.')
  t.notMatch(notAll, 'in other chats')
  t.equal(await watched(), 1, '"all" from a non-admin: only this chat’s')
  await ask(s, c, 'watch 372615948')
  t.match(
    await ask(s, c, 'unwatch 372615948 all', admin),
    'Stopped watching **Design sync** (372 615 948) in this chat.\nRemoved 1 watch of **Design sync** (372 615 948) in other chats.',
    'an admin’s "all": every chat’s',
  )
  t.equal(await watched(), 0)

  const help = await ask(s, c, 'help')
  t.match(help, '- **watch <room code | conference id | join link>**: tell this chat when a meeting starts')
  t.match(help, '(also: 关注)')
  t.match(
    help,
    '- **unwatch <room code | conference id | join link>**: stop watching a meeting in this chat (also: 取消关注)',
  )
  t.match(help, "- **watches**: this chat's watches and what they cost (also: 关注列表)")
  t.match(
    await ask(s, c, '帮助'),
    '- **关注 <会议号 | 会议 ID | 入会链接>**: 会议开始和结束时在这个聊天里通知',
    'and in Chinese',
  )
})
