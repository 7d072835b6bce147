import type { Command } from '../../core/commands.js'
import { textReply } from '../../core/reply.js'
import { membersCard } from './members-card.js'
import { membersStrings } from './members-strings.js'
import { parseMeetingRef } from './reference.js'
import type { MeetingService } from './service.js'

/** `members <room code | conference id | join link>`: who is in the meeting, who came and went. */
export function membersCommand(meetings: MeetingService): Command {
  return {
    name: 'members',
    aliases: ['who', '参会人'],
    summary: { en: 'who is in a meeting, who joined and left', 'zh-CN': '查看谁在会议中、谁来过' },
    usage: {
      en: 'members <room code | conference id | join link>',
      'zh-CN': '参会人 <会议号 | 会议 ID | 入会链接>',
    },
    async run(ctx) {
      const ref = parseMeetingRef(ctx.args)
      if (!ref) return textReply(membersStrings(ctx.locale).usage, ctx.mention)
      ctx.log.debug({ ref }, 'looking up members')
      const view = await meetings.members(ref)
      return membersCard(view, {
        locale: ctx.locale,
        timeZone: ctx.timeZone,
        now: ctx.now,
        mention: ctx.mention,
      })
    },
  }
}
