import type { Locale } from './config.js'

/**
 * Every sentence the bot says, in both languages. Functions take already-escaped values where
 * the result is markdown. Keep keys in sync: the `zh` table is typed against `en`.
 */
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
  units: { d: ' d', h: ' h', min: ' min', s: ' s', sep: ' ' },
  // Command texts
  helpTitle: 'Meeting bot',
  helpIntro: 'Ask me about a DingTalk video meeting. Commands:',
  helpAliases: 'also',
  helpAdmin: '(admin)',
  helpFooter: 'Tip: you can also just send a room code or a join link.',
  usage: 'Usage',
  unknownCommand: (word: string) => `I don't know "${word}". Send "help" to see what I can do.`,
  didYouMean: (word: string, suggestion: string) => `I don't know "${word}". Did you mean "${suggestion}"?`,
  sendText: 'I can only read text messages. Send me "meeting <room code>" or "help".',
  adminOnly: 'Only admins can use that command.',
  slowDown:
    'This chat is sending me more messages than DingTalk lets me answer right away; my replies will be a little late.',
  meetingUsage:
    'Send "meeting <room code | conference id | join link>", e.g. "meeting 615 902 734" or "meeting https://meeting.dingtalk.com/app?roomCode=615902734".',
  // Errors: short, honest, with a reference id the operator can find in the logs.
  errors: {
    notFound: 'No meeting found for that code. Check the number and try again.',
    invalidCode: 'DingTalk says that is not a valid room code.',
    noPermission:
      'I am not allowed to read this meeting. An admin must grant the app the VideoConference.Conference.Read permission.',
    busy: 'DingTalk is busy right now. Please try again in a few seconds.',
    quotaExhausted:
      "This month's DingTalk API quota for the organisation is used up, so I cannot look up meetings until it resets.",
    upstreamDown: 'DingTalk is not answering right now. Please try again in a minute.',
    misconfigured: 'I cannot sign in to DingTalk; an admin needs to check my credentials.',
    internal: 'Something went wrong on my side.',
  } as Record<string, string>,
  reference: (ref: string) => `(ref ${ref})`,
  rateLimited: 'You are sending me commands faster than I answer them; please wait a minute.',
  // Admin commands
  langSet: 'Replies in this chat are now in English.',
  langNow: (l: string) => `Replies in this chat are in ${l}. Change with "/lang zh" or "/lang en".`,
  langInvalid: (v: string) => `"${v}" is not a language I speak. Valid values: zh (中文), en (English).`,
  tzSet: (z: string, example: string) => `Times in this chat are now in ${z} (now: ${example}).`,
  tzNow: (z: string) =>
    `Times in this chat are in ${z}. Change with "/tz <IANA zone>", e.g. "/tz Asia/Shanghai".`,
  tzInvalid: (v: string, close: string) =>
    `"${v}" is not an IANA time zone.${close ? ` Did you mean: ${close}?` : ''} Valid zones are names like Asia/Shanghai, Asia/Tokyo, Europe/Berlin, America/New_York, UTC (full list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).`,
  configTitle: 'Effective configuration',
  configNote: 'Secrets are masked.',
  cacheCleared: (n: number, code: string) =>
    `Dropped ${n} cached ${n === 1 ? 'entry' : 'entries'}${code ? ` for room ${code}` : ''}.`,
  cacheUsage: 'Usage: /cache clear [room code]',
}

export type Strings = typeof en

const zh: Strings = {
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
  units: { d: '天', h: '小时', min: '分钟', s: '秒', sep: '' },
  helpTitle: '会议助手',
  helpIntro: '我可以查询钉钉视频会议的情况。可用命令：',
  helpAliases: '也可以用',
  helpAdmin: '（管理员）',
  helpFooter: '小提示：直接发会议号或入会链接也可以。',
  usage: '用法',
  unknownCommand: (word) => `我不认识“${word}”。发送“帮助”查看可用命令。`,
  didYouMean: (word, suggestion) => `我不认识“${word}”。你是想用“${suggestion}”吗？`,
  sendText: '我只能读文字消息。请发送“会议 <会议号>”或“帮助”。',
  adminOnly: '只有管理员可以使用这个命令。',
  slowDown: '这个群发给我的消息太多，超过了钉钉允许的回复频率，我的回复会稍有延迟。',
  meetingUsage: '请发送“会议 <会议号 | 会议 ID | 入会链接>”，例如“会议 615 902 734”。',
  errors: {
    notFound: '没有找到这个会议号对应的会议，请检查号码后重试。',
    invalidCode: '钉钉提示这不是有效的会议号。',
    noPermission: '我没有权限读取这个会议。请管理员为应用开通 VideoConference.Conference.Read 权限。',
    busy: '钉钉接口正忙，请几秒后再试。',
    quotaExhausted: '本组织本月的钉钉接口调用量已用完，额度重置前无法查询会议。',
    upstreamDown: '暂时连不上钉钉，请稍后再试。',
    misconfigured: '我无法登录钉钉，请管理员检查应用凭证。',
    internal: '我这边出了点问题。',
  },
  reference: (ref) => `（参考编号 ${ref}）`,
  rateLimited: '你发命令的速度超过了我的处理速度，请稍等一分钟。',
  langSet: '本会话的回复语言已改为中文。',
  langNow: (l) => `本会话的回复语言是${l}。可用“/lang zh”或“/lang en”修改。`,
  langInvalid: (v) => `不支持“${v}”。可选值：zh（中文）、en（English）。`,
  tzSet: (z, example) => `本会话的时区已改为 ${z}（现在是 ${example}）。`,
  tzNow: (z) => `本会话的时区是 ${z}。可用“/tz <IANA 时区>”修改，例如“/tz Asia/Shanghai”。`,
  tzInvalid: (v, close) =>
    `“${v}”不是 IANA 时区名。${close ? `你是想用：${close}？` : ''}有效的时区如 Asia/Shanghai、Asia/Tokyo、Europe/Berlin、America/New_York、UTC（完整列表：https://en.wikipedia.org/wiki/List_of_tz_database_time_zones）。`,
  configTitle: '当前生效的配置',
  configNote: '密钥已隐藏。',
  cacheCleared: (n, code) => `已清除${code ? `会议号 ${code} 的` : ''} ${n} 条缓存。`,
  cacheUsage: '用法：/cache clear [会议号]',
}

const TABLES: Record<Locale, Strings> = { en, 'zh-CN': zh }

export function strings(locale: Locale): Strings {
  return TABLES[locale]
}
