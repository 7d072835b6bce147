import type { Locale } from '../../core/locale.js'

/** What a live card says, and what its buttons answer. */
const en = {
  untitled: '(untitled meeting)',
  statusText: ['Not started', 'Ended', 'In progress'] as readonly string[],
  status: 'Status',
  creator: 'Creator',
  host: 'Host',
  start: 'Start',
  scheduled: 'Scheduled',
  end: 'End',
  duration: 'Duration',
  elapsed: 'Running for',
  participants: 'Participants',
  roomCode: 'Room code',
  inNow: (n: string) => `${n} in the meeting now`,
  joined: (n: string) => `${n} joined in total`,
  mostAtOnce: (n: number) => `at most ${n} at once`,
  invited: (n: string) => `${n} invited`,
  unknown: '?',
  live: (at: string) => `Live · updated ${at}`,
  final: (at: string) => `Final summary · ${at}`,
  expired: (hours: number) => `No longer updated (after ${hours} h): press Refresh`,
  quota: 'Live updates paused this month (API quota share spent): press Refresh',
  refreshing: 'Refreshing…',
  membersLoading: 'Loading members…',
  membersTitle: (n: number, total: number) => (n < total ? `Members (${n} of ${total})` : `Members (${n})`),
  membersNone: 'DingTalk lists nobody for this meeting yet.',
  hostMark: ' (host)',
  inMark: 'in the meeting',
  leftMark: 'left',
  refreshLabel: 'Refresh',
  membersLabel: 'Members',
  watchLabel: 'Watch',
  unwatchLabel: 'Unwatch',
  joinLabel: 'Join',
  watchFailed: 'Could not watch this meeting here',
  statusLabel: 'Live cards',
  statusLine: (live: number, frozen: number, spent: number, budget: number) =>
    `${live} live, ${frozen} frozen; ${spent} of ${budget} card calls this month${spent >= budget ? ' (spent: live updates paused)' : ''}`,
  shared: (n: number, which: string) => `${n} meetings use this room code; this is ${which}.`,
  choice: {
    inProgress: 'the one in progress',
    upcoming: 'the next one',
    latestEnded: 'the latest one',
  } as Record<string, string>,
}

export type LiveCardStrings = typeof en

const zh: LiveCardStrings = {
  untitled: '(无标题会议)',
  statusText: ['未开始', '已结束', '进行中'],
  status: '状态',
  creator: '发起人',
  host: '主持人',
  start: '开始时间',
  scheduled: '预定开始',
  end: '结束时间',
  duration: '时长',
  elapsed: '已进行',
  participants: '参会人数',
  roomCode: '会议号',
  inNow: (n) => `当前在会 ${n} 人`,
  joined: (n) => `累计入会 ${n} 人`,
  mostAtOnce: (n) => `最多同时 ${n} 人`,
  invited: (n) => `邀请 ${n} 人`,
  unknown: '?',
  live: (at) => `实时更新中 · ${at}`,
  final: (at) => `最终摘要 · ${at}`,
  expired: (hours) => `已停止自动更新（超过 ${hours} 小时），请点击刷新`,
  quota: '本月实时更新已暂停（接口用量份额已用完），请点击刷新',
  refreshing: '正在刷新…',
  membersLoading: '正在加载参会人…',
  membersTitle: (n, total) => (n < total ? `参会人（${n}/${total}）` : `参会人（${n}）`),
  membersNone: '钉钉暂未列出这场会议的参会人。',
  hostMark: '（主持人）',
  inMark: '在会中',
  leftMark: '已离开',
  refreshLabel: '刷新',
  membersLabel: '参会人',
  watchLabel: '关注',
  unwatchLabel: '取消关注',
  joinLabel: '加入会议',
  watchFailed: '无法在这里关注这场会议',
  statusLabel: '实时卡片',
  statusLine: (live, frozen, spent, budget) =>
    `实时更新中 ${live} 张，已冻结 ${frozen} 张；本月卡片接口调用 ${spent}/${budget}${spent >= budget ? '（已用完：实时更新暂停）' : ''}`,
  shared: (n, which) => `该会议号对应 ${n} 场会议，这里显示的是${which}。`,
  choice: { inProgress: '正在进行的一场', upcoming: '下一场', latestEnded: '最近结束的一场' },
}

const TABLES: Record<Locale, LiveCardStrings> = { en, 'zh-CN': zh }

export function liveCardStrings(locale: Locale): LiveCardStrings {
  return TABLES[locale]
}
