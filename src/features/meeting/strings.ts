import type { Locale } from '../../core/locale.js'

/** What the meeting feature says: the card's labels and the meeting command's own answers. */
const en = {
  statusLabel: ['Not started', 'Ended', 'In progress'] as readonly string[],
  status: 'Status',
  creator: 'Creator',
  start: 'Start',
  end: 'End',
  duration: 'Duration',
  participants: 'Participants',
  roomCode: 'Room code',
  recording: 'Cloud recording',
  recordingLabel: ['none', 'recording', 'paused', 'finished'] as readonly string[],
  join: 'Join meeting',
  untitled: '(untitled meeting)',
  unknown: 'unknown',
  runningFor: (d: string) => `running for ${d}`,
  startsIn: (d: string) => `starts in ${d}`,
  shouldHaveStarted: (d: string) => `scheduled ${d} ago, not started yet`,
  justNow: 'just now',
  inMeetingNow: (n: string) => `${n} in the meeting now`,
  joinedTotal: (n: string) => `${n} joined in total`,
  invited: (n: string) => `${n} invited`,
  shared: (n: number, which: string) => `${n} meetings use this room code; this is ${which}.`,
  choice: {
    inProgress: 'the one in progress',
    upcoming: 'the next one',
    latestEnded: 'the latest one',
  } as Record<string, string>,
  meetingUsage:
    'Send "meeting <room code | conference id | join link>", e.g. "meeting 615 902 734" or "meeting https://meeting.dingtalk.com/app?roomCode=615902734".',
  notFound: 'No meeting found for that code. Check the number and try again.',
  cacheCleared: (n: number, code: string) =>
    `Dropped ${n} cached ${n === 1 ? 'entry' : 'entries'}${code ? ` for room ${code}` : ''}.`,
  cacheUsage: 'Usage: /cache clear [room code]',
}

export type MeetingStrings = typeof en

const zh: MeetingStrings = {
  statusLabel: ['未开始', '已结束', '进行中'],
  status: '状态',
  creator: '发起人',
  start: '开始时间',
  end: '结束时间',
  duration: '时长',
  participants: '参会人数',
  roomCode: '会议号',
  recording: '云录制',
  recordingLabel: ['无', '录制中', '已暂停', '已完成'],
  join: '加入会议',
  untitled: '(无标题会议)',
  unknown: '未知',
  runningFor: (d) => `已进行 ${d}`,
  startsIn: (d) => `${d}后开始`,
  shouldHaveStarted: (d) => `预定 ${d}前开始，尚未开始`,
  justNow: '刚刚开始',
  inMeetingNow: (n) => `当前在会 ${n} 人`,
  joinedTotal: (n) => `累计入会 ${n} 人`,
  invited: (n) => `邀请 ${n} 人`,
  shared: (n, which) => `该会议号对应 ${n} 场会议，这里显示的是${which}。`,
  choice: { inProgress: '正在进行的一场', upcoming: '下一场', latestEnded: '最近结束的一场' },
  meetingUsage: '请发送“会议 <会议号 | 会议 ID | 入会链接>”，例如“会议 615 902 734”。',
  notFound: '没有找到这个会议号对应的会议，请检查号码后重试。',
  cacheCleared: (n, code) => `已清除${code ? `会议号 ${code} 的` : ''} ${n} 条缓存。`,
  cacheUsage: '用法：/cache clear [会议号]',
}

const TABLES: Record<Locale, MeetingStrings> = { en, 'zh-CN': zh }

export function meetingStrings(locale: Locale): MeetingStrings {
  return TABLES[locale]
}
