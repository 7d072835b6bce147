import type { Command, CommandContext } from '../../core/commands.js'
import type { SelfDelivered } from '../../core/message.js'
import { textReply } from '../../core/reply.js'
import { meetingCard } from './card.js'
import { parseMeetingRef } from './reference.js'
import type { MeetingLookup, MeetingService } from './service.js'
import { meetingStrings } from './strings.js'

/** Shows the answer another way when it can (a live card); undefined: the markdown card goes. */
export type Presenter = (lookup: MeetingLookup, ctx: CommandContext) => Promise<SelfDelivered | undefined>

export function meetingCommand(meetings: MeetingService, present?: Presenter): Command {
  return {
    name: 'meeting',
    aliases: ['m', '会议', '查会'],
    summary: { en: 'what is going on in a video meeting', 'zh-CN': '查询视频会议的状态和参会情况' },
    usage: {
      en: 'meeting <room code | conference id | join link>',
      'zh-CN': '会议 <会议号 | 会议 ID | 入会链接>',
    },
    async run(ctx) {
      const ref = parseMeetingRef(ctx.args)
      if (!ref) return textReply(meetingStrings(ctx.locale).meetingUsage, ctx.mention)
      ctx.log.debug({ ref }, 'looking up meeting')
      const lookup = await meetings.lookup(ref)
      const shown = present ? await present(lookup, ctx) : undefined
      if (shown) return shown
      return meetingCard(lookup, {
        locale: ctx.locale,
        timeZone: ctx.timeZone,
        now: ctx.now,
        mention: ctx.mention,
      })
    },
  }
}
