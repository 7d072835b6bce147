import type { Command, CommandContext } from '../../core/commands.js'
import type { Feature } from '../../core/feature.js'
import type { Locale } from '../../core/locale.js'
import { markdownReply } from '../../core/reply.js'

const STRINGS: Record<Locale, Record<'title' | 'intro' | 'aliases' | 'admin' | 'footer', string>> = {
  en: {
    title: 'Meeting bot',
    intro: 'Ask me about a DingTalk video meeting. Commands:',
    aliases: 'also',
    admin: '(admin)',
    footer: 'Tip: you can also just send a room code or a join link.',
  },
  'zh-CN': {
    title: '会议助手',
    intro: '我可以查询钉钉视频会议的情况。可用命令：',
    aliases: '也可以用',
    admin: '（管理员）',
    footer: '小提示：直接发会议号或入会链接也可以。',
  },
}

/**
 * Help is generated from the registry, showing each person only what they may run: everyone's
 * commands first, then (for admins) the admin commands, each group in the features' order.
 */
export function helpText(ctx: Pick<CommandContext, 'locale' | 'isAdmin' | 'registry'>): string {
  const t = STRINGS[ctx.locale]
  const lines = [`#### ${t.title}`, t.intro, '']
  const all = ctx.registry.commands
  const shown = [...all.filter((c) => !c.adminOnly), ...(ctx.isAdmin ? all.filter((c) => c.adminOnly) : [])]
  for (const c of shown) {
    const admin = c.adminOnly ? ` ${t.admin}` : ''
    const aliases = c.aliases.length ? ` (${t.aliases}: ${c.aliases.join(', ')})` : ''
    lines.push(`- **${c.usage[ctx.locale]}**${admin}: ${c.summary[ctx.locale]}${aliases}`)
  }
  lines.push('', t.footer)
  return lines.join('\n')
}

export const helpCommand: Command = {
  name: 'help',
  aliases: ['帮助', '?'],
  summary: { en: 'this list', 'zh-CN': '显示本帮助' },
  usage: { en: 'help', 'zh-CN': '帮助' },
  async run(ctx) {
    return markdownReply(STRINGS[ctx.locale].title, helpText(ctx), ctx.mention)
  },
}

/** `help`, and what a bare @-mention gets. */
export function helpFeature(): Feature {
  return { name: 'help', commands: [helpCommand], onEmpty: helpCommand }
}
