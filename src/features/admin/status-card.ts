import { formatDuration, formatTime } from '../../cards/format.js'
import type { Locale, Localized } from '../../core/locale.js'
import type { TransportStatus } from '../../core/port.js'
import type { CallOutcome, UsageTable } from '../../dingtalk/usage.js'

/** Everything `/status` shows; gathered by `status.ts`, rendered here (pure, with `now` passed in). */
export interface StatusReport {
  readonly version: string
  readonly startedAt: number
  readonly transports: readonly TransportStatus[]
  readonly token: { readonly valid: boolean; readonly expiresAt: number | undefined }
  readonly cache: { readonly hits: number; readonly misses: number }
  readonly messages: {
    readonly handled: number
    readonly failed: number
    readonly duplicates: number
    readonly rateLimited: number
  }
  /** Platform events since start (EVENT frames); undefined: not subscribed (no Stream transport, or no feature handles any). */
  readonly events:
    | {
        readonly received: number
        readonly handled: number
        readonly duplicates: number
        readonly ignored: number
        readonly failed: number
      }
    | undefined
  /** Since start: messages answered from the inbox (owed from before a restart, or by a stopped replica), and those too old to answer. */
  readonly inbox: { readonly recovered: number; readonly tooOld: number }
  readonly usage: { readonly sinceStart: UsageTable; readonly month: string; readonly thisMonth: UsageTable }
  readonly store: string
  /** A feature's own line (the watches), in every language. */
  readonly watch?: { readonly label: Localized; readonly text: Localized }
  /** More features' lines (live cards). */
  readonly lines?: readonly { readonly label: Localized; readonly text: Localized }[]
}

const T = {
  en: {
    title: 'Meeting bot status',
    version: 'Version',
    up: (d: string) => `up ${d}`,
    states: {} as Record<string, string>,
    transport: (state: string, t: TransportStatus, since: string, last: string) =>
      `${state}${since ? ` since ${since}` : ''}${t.reconnects !== undefined ? ` · ${t.reconnects} reconnects` : ''} · last message ${last}`,
    never: 'never',
    ago: (d: string) => `${d} ago`,
    token: 'Access token',
    tokenValid: (d: string) => `valid for ${d}`,
    tokenNone: 'none yet (fetched on the first lookup)',
    tokenExpired: 'expired',
    cache: 'Meeting cache',
    cacheLine: (pct: string, hits: number, total: number) => `${pct} hits (${hits} of ${total} lookups)`,
    messages: 'Messages',
    messagesLine: (m: StatusReport['messages']) =>
      `${m.handled} handled, ${m.failed} failed, ${m.duplicates} duplicates ignored, ${m.rateLimited} rate-limited`,
    events: 'Events',
    eventsLine: (e: NonNullable<StatusReport['events']>) =>
      `${e.received} received: ${e.handled} handled, ${e.duplicates} duplicates ignored, ${e.ignored} of types nobody handles, ${e.failed} failed (pushed again)`,
    eventsOff: 'not subscribed (that takes the Stream transport and a feature that handles events)',
    inbox: 'Inbox',
    inboxLine: (i: StatusReport['inbox']) =>
      `${i.recovered} answered after a restart or for a stopped replica, ${i.tooOld} too old to answer`,
    store: 'Store',
    sinceStart: 'DingTalk calls since start',
    month: (m: string) => `DingTalk calls in ${m}`,
    none: 'none',
    quotaNote: 'Token calls do not count against the monthly quota.',
  },
  'zh-CN': {
    title: '会议助手状态',
    version: '版本',
    up: (d: string) => `已运行 ${d}`,
    states: {
      connected: '已连接',
      connecting: '连接中',
      reconnecting: '重连中',
      stopped: '已停止',
      idle: '未启动',
      'accepting callbacks': '正在接收回调',
    } as Record<string, string>,
    transport: (state: string, t: TransportStatus, since: string, last: string) =>
      `${state}${since ? `，自 ${since}` : ''}${t.reconnects !== undefined ? ` · 重连 ${t.reconnects} 次` : ''} · 最近消息 ${last}`,
    never: '无',
    ago: (d: string) => `${d}前`,
    token: '访问令牌',
    tokenValid: (d: string) => `有效，剩余 ${d}`,
    tokenNone: '尚未获取（首次查询时获取）',
    tokenExpired: '已过期',
    cache: '会议缓存',
    cacheLine: (pct: string, hits: number, total: number) => `命中率 ${pct}（${total} 次中 ${hits} 次）`,
    messages: '消息',
    messagesLine: (m: StatusReport['messages']) =>
      `已处理 ${m.handled}，失败 ${m.failed}，忽略重复 ${m.duplicates}，限流 ${m.rateLimited}`,
    events: '事件',
    eventsLine: (e: NonNullable<StatusReport['events']>) =>
      `收到 ${e.received}：已处理 ${e.handled}，忽略重复 ${e.duplicates}，无人处理的类型 ${e.ignored}，失败 ${e.failed}（将重新推送）`,
    eventsOff: '未订阅（需要 Stream 连接和处理事件的功能）',
    inbox: '待答消息',
    inboxLine: (i: StatusReport['inbox']) =>
      `重启后或替已停止的副本补答 ${i.recovered} 条，过旧未答 ${i.tooOld} 条`,
    store: '存储',
    sinceStart: '启动以来的钉钉接口调用',
    month: (m: string) => `${m} 的钉钉接口调用`,
    none: '无',
    quotaNote: '获取令牌的调用不计入每月额度。',
  },
} satisfies Record<Locale, unknown>

function usageLines(table: UsageTable, none: string): string[] {
  const rows = Object.entries(table)
  if (rows.length === 0) return [`  - ${none}`]
  return rows.map(([api, outcomes]) => {
    const parts = Object.entries(outcomes as Partial<Record<CallOutcome, number>>).map(
      ([o, n]) => `${n} ${o}`,
    )
    const total = Object.values(outcomes as Record<string, number>).reduce((a, b) => a + b, 0)
    return `  - ${api}: ${total} (${parts.join(', ')})`
  })
}

export function statusText(r: StatusReport, locale: Locale, timeZone: string, now: number): string {
  const t = T[locale]
  const dur = (ms: number) => formatDuration(ms, locale, ms < 60_000 ? 'seconds' : 'minutes')
  const lines = [`#### ${t.title}`, `- **${t.version}:** ${r.version} · ${t.up(dur(now - r.startedAt))}`]
  for (const tr of r.transports) {
    const since = tr.connectedSince ? formatTime(tr.connectedSince, locale, timeZone) : ''
    const last = tr.lastMessageAt ? t.ago(dur(now - tr.lastMessageAt)) : t.never
    lines.push(`- **${tr.name}:** ${t.transport(t.states[tr.state] ?? tr.state, tr, since, last)}`)
  }
  const token =
    r.token.expiresAt === undefined
      ? t.tokenNone
      : r.token.valid
        ? t.tokenValid(dur(r.token.expiresAt - now))
        : t.tokenExpired
  lines.push(`- **${t.token}:** ${token}`)
  const total = r.cache.hits + r.cache.misses
  const pct = total === 0 ? '–' : `${Math.round((100 * r.cache.hits) / total)}%`
  lines.push(`- **${t.cache}:** ${t.cacheLine(pct, r.cache.hits, total)}`)
  lines.push(`- **${t.messages}:** ${t.messagesLine(r.messages)}`)
  lines.push(`- **${t.events}:** ${r.events ? t.eventsLine(r.events) : t.eventsOff}`)
  lines.push(`- **${t.inbox}:** ${t.inboxLine(r.inbox)}`)
  lines.push(`- **${t.store}:** ${r.store}`)
  if (r.watch) lines.push(`- **${r.watch.label[locale]}:** ${r.watch.text[locale]}`)
  for (const l of r.lines ?? []) lines.push(`- **${l.label[locale]}:** ${l.text[locale]}`)
  lines.push(`- **${t.sinceStart}:**`, ...usageLines(r.usage.sinceStart, t.none))
  lines.push(`- **${t.month(r.usage.month)}:**`, ...usageLines(r.usage.thisMonth, t.none))
  lines.push('', `> ${t.quotaNote}`)
  return lines.join('\n')
}
