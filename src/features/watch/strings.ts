import type { Locale } from '../../core/locale.js'

/** What the watch feature says: its commands' answers and its notices. `zh-CN` is typed against `en`. */
const en = {
  // watch
  watchUsage:
    'Send "watch <room code | conference id | join link>", e.g. "watch 372 615 948": I post in this chat when the meeting starts and a summary when it ends.',
  watching: (what: string, when: string) => `👀 Watching ${what}, scheduled ${when}.`,
  watchingPromise: 'I will post here when it starts (with a Join button) and a summary when it ends.',
  watchingLive: (what: string, since: string) =>
    `👀 Watching ${what}, in progress since ${since}: I will post a summary here when it ends.`,
  expiresNote: (when: string) => `If it has not started by ${when}, the watch ends (and I say so).`,
  instance: (n: number, which: string) => `${n} meetings use this room code; I watch ${which}.`,
  choice: {
    inProgress: 'the one in progress',
    upcoming: 'the next one',
    latestEnded: 'the latest one',
  } as Record<string, string>,
  already: (what: string) => `This chat already watches ${what}.`,
  alreadyEnded: (what: string) => `${what} has already ended: there is nothing to watch.`,
  tooFar: (what: string, when: string) =>
    `${what} is scheduled more than 30 days ahead (${when}): watch it closer to the day.`,
  chatCap: (n: number) =>
    `This chat already watches ${n} meetings, the most it may. Send "unwatch <room code>" to drop one first.`,
  totalCap: (n: number) =>
    `I already watch ${n} meetings across all chats, the most I may. Try again once one has ended.`,
  noStaffId:
    'I can only message you directly if you are a member of the organisation (DingTalk sent no staff id).',
  // unwatch
  unwatchUsage: 'Send "unwatch <room code | conference id | join link>", e.g. "unwatch 372 615 948".',
  unwatched: (what: string) => `Stopped watching ${what} in this chat.`,
  unwatchedElsewhere: (n: number, what: string) =>
    `Removed ${n} ${n === 1 ? 'watch' : 'watches'} of ${what} in other chats.`,
  notWatched: (code: string) => `This chat does not watch ${code}. Send "watches" to see what it watches.`,
  notYours: (code: string) =>
    `This chat does not watch ${code}. Other chats do; only admins may remove their watches.`,
  // watches
  listTitle: 'Watches',
  listHeading: (n: number, max: number) => `Watches in this chat (${n} of ${max})`,
  listEmpty: 'This chat watches no meetings. Send "watch <room code>" to hear when one starts and ends.',
  scheduled: (when: string) => `🕒 scheduled ${when}`,
  liveSince: (when: string) => `🟢 in progress since ${when}`,
  endedPending: '⚪ ended, summary on its way',
  expires: (when: string) => `expires ${when}`,
  cost: (calls: number, perHour: number) => `${calls} API calls so far, about ${perHour} an hour now`,
  shared: (n: number) => ` (shared with ${n} other ${n === 1 ? 'chat' : 'chats'})`,
  monthLine: (spent: number, budget: number, pct: string, quota: number) =>
    `Watches this month: ${spent} of ${budget} API calls (${pct} of the monthly quota of ${quota}).`,
  pausedNote: 'The share is spent: no polling until next month; meeting events still count.',
  // notices
  started: (title: string) => `${title} has started`,
  ended: (title: string) => `${title} has ended`,
  roomCode: 'Room code',
  startedAt: 'Started',
  start: 'Start',
  end: 'End',
  duration: 'Duration',
  participants: 'Participants',
  joinedOfInvited: (joined: string, invited: string) => `${joined} joined in total · ${invited} invited`,
  mostAtOnce: 'Most at once',
  asFarAsSeen: (n: number) => `${n} (as far as I saw)`,
  host: 'Host',
  creator: 'Creator',
  recording: 'Cloud recording',
  recordingLabel: ['none', 'recording', 'paused', 'finished'] as readonly string[],
  unknown: 'unknown',
  join: 'Join meeting',
  watchedBy: (nick: string) => `Watched by ${nick}; a summary follows when it ends.`,
  watchedByEnd: (nick: string) => `Watched by ${nick}. The watch is done.`,
  untitled: '(untitled meeting)',
  expiredTitle: (title: string) => `Stopped watching ${title}`,
  expiredNotStarted: (when: string) => `It had not started 24 hours after its scheduled start (${when}).`,
  expiredRunning: (when: string) => `It was still in progress 24 hours after it started (${when}).`,
  quotaTitle: 'Watching paused',
  quotaText: (spent: number, budget: number, list: string, resume: string) =>
    `This month's share of the DingTalk API quota for watching meetings is spent (${spent} of ${budget} calls), so I stop checking ${list} until ${resume}. If DingTalk tells me one started or ended, I still post it here.`,
  statusLabel: 'Watches',
  statusText: (watches: number, chats: number, spent: number, budget: number, paused: boolean) =>
    `${watches} in ${chats} ${chats === 1 ? 'chat' : 'chats'} · ${spent} of ${budget} API calls this month${paused ? ' · polling paused (share spent)' : ''}`,
}

export type WatchStrings = typeof en

const zh: WatchStrings = {
  watchUsage:
    '请发送“关注 <会议号 | 会议 ID | 入会链接>”，例如“关注 372 615 948”：会议开始时和结束时我会在这里通知。',
  watching: (what, when) => `👀 已关注 ${what}，预定 ${when} 开始。`,
  watchingPromise: '会议开始时我会在这里通知（带入会按钮），结束时发一份总结。',
  watchingLive: (what, since) => `👀 已关注 ${what}，自 ${since} 起进行中：结束时我会在这里发一份总结。`,
  expiresNote: (when) => `如果到 ${when} 还没有开始，关注会自动结束（我会告诉你）。`,
  instance: (n, which) => `该会议号对应 ${n} 场会议，关注的是${which}。`,
  choice: { inProgress: '正在进行的一场', upcoming: '下一场', latestEnded: '最近结束的一场' },
  already: (what) => `这个聊天已经关注了 ${what}。`,
  alreadyEnded: (what) => `${what} 已经结束，无需关注。`,
  tooFar: (what, when) => `${what} 预定在 30 天以后（${when}）：请临近时再关注。`,
  chatCap: (n) => `这个聊天已经关注了 ${n} 场会议，达到上限。请先发送“取消关注 <会议号>”取消一场。`,
  totalCap: (n) => `我已经在所有聊天中关注了 ${n} 场会议，达到上限。请等有会议结束后再试。`,
  noStaffId: '只有组织内成员才能收到我的单聊通知（钉钉没有提供你的 staffId）。',
  unwatchUsage: '请发送“取消关注 <会议号 | 会议 ID | 入会链接>”，例如“取消关注 372 615 948”。',
  unwatched: (what) => `这个聊天已取消关注 ${what}。`,
  unwatchedElsewhere: (n, what) => `已取消其他聊天对 ${what} 的 ${n} 个关注。`,
  notWatched: (code) => `这个聊天没有关注 ${code}。发送“关注列表”查看已关注的会议。`,
  notYours: (code) => `这个聊天没有关注 ${code}。其他聊天关注了它，只有管理员可以取消它们的关注。`,
  listTitle: '关注列表',
  listHeading: (n, max) => `这个聊天关注的会议（${n}/${max}）`,
  listEmpty: '这个聊天没有关注会议。发送“关注 <会议号>”，会议开始和结束时我会通知。',
  scheduled: (when) => `🕒 预定 ${when}`,
  liveSince: (when) => `🟢 自 ${when} 起进行中`,
  endedPending: '⚪ 已结束，总结即将发出',
  expires: (when) => `${when} 到期`,
  cost: (calls, perHour) => `已用 ${calls} 次接口调用，目前约每小时 ${perHour} 次`,
  shared: (n) => `（与另外 ${n} 个聊天共用）`,
  monthLine: (spent, budget, pct, quota) =>
    `本月会议关注已用 ${spent}/${budget} 次接口调用（每月额度 ${quota} 次中的 ${pct}）。`,
  pausedNote: '份额已用完：下月之前不再轮询；收到会议事件仍会通知。',
  started: (title) => `${title} 已开始`,
  ended: (title) => `${title} 已结束`,
  roomCode: '会议号',
  startedAt: '开始时间',
  start: '开始时间',
  end: '结束时间',
  duration: '时长',
  participants: '参会人数',
  joinedOfInvited: (joined, invited) => `累计入会 ${joined} 人 · 邀请 ${invited} 人`,
  mostAtOnce: '同时在会最多',
  asFarAsSeen: (n) => `${n} 人（就我所见）`,
  host: '主持人',
  creator: '发起人',
  recording: '云录制',
  recordingLabel: ['无', '录制中', '已暂停', '已完成'],
  unknown: '未知',
  join: '加入会议',
  watchedBy: (nick) => `由 ${nick} 关注；会议结束时会发总结。`,
  watchedByEnd: (nick) => `由 ${nick} 关注。本次关注已完成。`,
  untitled: '(无标题会议)',
  expiredTitle: (title) => `已停止关注 ${title}`,
  expiredNotStarted: (when) => `预定开始时间（${when}）过去 24 小时后仍未开始。`,
  expiredRunning: (when) => `自 ${when} 开始后 24 小时仍在进行。`,
  quotaTitle: '会议关注已暂停',
  quotaText: (spent, budget, list, resume) =>
    `本月用于会议关注的钉钉接口额度已用完（${spent}/${budget} 次），${resume} 之前我不再查询 ${list}。如果钉钉通知我会议开始或结束，我仍会在这里发出。`,
  statusLabel: '会议关注',
  statusText: (watches, chats, spent, budget, paused) =>
    `${chats} 个聊天共 ${watches} 个关注 · 本月 ${spent}/${budget} 次接口调用${paused ? ' · 已暂停轮询（份额用完）' : ''}`,
}

const TABLES: Record<Locale, WatchStrings> = { en, 'zh-CN': zh }

export function watchStrings(locale: Locale): WatchStrings {
  return TABLES[locale]
}
