import type { Locale } from '../../core/locale.js'

/** What the members command says: its card's labels and its usage text. */
const en = {
  heading: 'Participants',
  inNow: (n: number) => `In the meeting now (${n})`,
  joinedAndLeft: (n: number) => `Joined and left (${n})`,
  attended: (n: number) => `Attended (${n})`,
  notJoined: (n: number) => `Invited, not joined: ${n}`,
  nobodyYet: 'Nobody has joined yet.',
  nobodyAttended: 'Nobody attended.',
  host: 'host',
  coHost: 'co-host',
  external: 'external',
  phone: 'by phone',
  removed: 'removed',
  /** Between the markers in brackets after a name. */
  markers: (list: readonly string[]) => ` (${list.join(', ')})`,
  more: (n: number) => `…and ${n} more`,
  truncated: (read: number, total: number) => `Only the first ${read} of ${total} participants were read.`,
  noName: '(no name)',
  usage:
    'Send "members <room code | conference id | join link>", e.g. "members 615 902 734" or "who 615902734".',
}

export type MembersStrings = typeof en

const zh: MembersStrings = {
  heading: '参会人',
  inNow: (n) => `当前在会（${n} 人）`,
  joinedAndLeft: (n) => `已离开（${n} 人）`,
  attended: (n) => `参会人员（${n} 人）`,
  notJoined: (n) => `已邀请未入会：${n} 人`,
  nobodyYet: '还没有人入会。',
  nobodyAttended: '没有人参加。',
  host: '主持人',
  coHost: '联席主持人',
  external: '外部',
  phone: '电话入会',
  removed: '被移出',
  markers: (list) => `（${list.join('、')}）`,
  more: (n) => `……还有 ${n} 人`,
  truncated: (read, total) => `共 ${total} 人，只读取了前 ${read} 人。`,
  noName: '（无名称）',
  usage: '请发送“参会人 <会议号 | 会议 ID | 入会链接>”，例如“参会人 615 902 734”。',
}

const TABLES: Record<Locale, MembersStrings> = { en, 'zh-CN': zh }

export function membersStrings(locale: Locale): MembersStrings {
  return TABLES[locale]
}
