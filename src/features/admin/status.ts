import type { Command } from '../../core/commands.js'
import type { TransportStatus } from '../../core/port.js'
import { markdownReply } from '../../core/reply.js'
import type { UsageLedger } from '../../dingtalk/usage.js'
import { type StatusReport, statusText } from './status-card.js'

/** Where `/status` reads its numbers: each owner says its own, the admin feature puts them together. */
export interface StatusSources {
  readonly version: string
  readonly startedAt: number
  transports(): readonly TransportStatus[]
  readonly token: { status(): StatusReport['token'] }
  readonly cache: { cacheStats(): StatusReport['cache'] }
  readonly messages: { counts(): StatusReport['messages'] }
  /** Platform events since start; undefined while no transport subscribed to them. */
  readonly events: { eventCounts(): StatusReport['events'] }
  readonly inbox: { readonly taken: number; readonly tooOld: number }
  readonly usage: Pick<UsageLedger, 'started' | 'thisMonth'>
  readonly store: { readonly kind: string }
  /** A feature's own line (the watches), in every language. */
  readonly watch?: { watchStatus(): Promise<NonNullable<StatusReport['watch']>> }
  /** More features' own lines (live cards), after the watches'. */
  readonly lines?: readonly { statusLine(): Promise<NonNullable<StatusReport['watch']>> }[]
}

/** Everything `/status` shows, gathered now. */
export async function gatherStatus(s: StatusSources): Promise<StatusReport> {
  const month = await s.usage.thisMonth()
  return {
    version: s.version,
    startedAt: s.startedAt,
    transports: s.transports(),
    token: s.token.status(),
    cache: s.cache.cacheStats(),
    messages: s.messages.counts(),
    events: s.events.eventCounts(),
    inbox: { recovered: s.inbox.taken, tooOld: s.inbox.tooOld },
    usage: { sinceStart: s.usage.started(), month: month.month, thisMonth: month.table },
    store: s.store.kind,
    ...(s.watch ? { watch: await s.watch.watchStatus() } : {}),
    lines: await Promise.all((s.lines ?? []).map((l) => l.statusLine())),
  }
}

export function statusCommand(sources: StatusSources): Command {
  return {
    name: 'status',
    aliases: ['状态'],
    adminOnly: true,
    summary: {
      en: 'health, transports, cache and DingTalk quota use',
      'zh-CN': '运行状态、连接、缓存与钉钉接口用量',
    },
    usage: { en: '/status', 'zh-CN': '/状态' },
    async run(ctx) {
      const report = await gatherStatus(sources)
      const title = ctx.locale === 'en' ? 'Meeting bot status' : '会议助手状态'
      return markdownReply(title, statusText(report, ctx.locale, ctx.timeZone, ctx.now), ctx.mention)
    },
  }
}
