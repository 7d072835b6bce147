import type { Command } from '../../core/commands.js'
import { textReply } from '../../core/reply.js'
import { parseMeetingRef } from './reference.js'
import type { MeetingService } from './service.js'
import { meetingStrings as strings } from './strings.js'

/** `/cache clear [room code]`: drops cached answers, all of them or one room's. */
export function cacheCommand(meetings: MeetingService): Command {
  return {
    name: 'cache',
    aliases: ['缓存'],
    adminOnly: true,
    summary: { en: 'drop cached meeting data', 'zh-CN': '清除会议缓存' },
    usage: { en: '/cache clear [room code]', 'zh-CN': '/缓存 清除 [会议号]' },
    async run(ctx) {
      const t = strings(ctx.locale)
      const [verb = '', ...rest] = ctx.args.split(' ')
      if (!['clear', '清除', '清空'].includes(verb.toLowerCase())) return textReply(t.cacheUsage, ctx.mention)
      const code = rest.join(' ')
      const ref = code ? parseMeetingRef(code) : undefined
      if (code && ref?.kind !== 'roomCode') return textReply(t.cacheUsage, ctx.mention)
      const room = ref?.kind === 'roomCode' ? ref.code : undefined
      const n = await meetings.clear(room)
      return textReply(t.cacheCleared(n, room ?? ''), ctx.mention)
    },
  }
}
