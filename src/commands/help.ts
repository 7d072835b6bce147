import { markdownReply } from '../cards/reply.js'
import type { Command, CommandContext } from '../core/commands.js'
import { strings } from '../i18n.js'

/** Help is generated from the registry, showing each person only what they may run. */
export function helpText(ctx: Pick<CommandContext, 'locale' | 'isAdmin' | 'registry'>): string {
  const t = strings(ctx.locale)
  const lines = [`#### ${t.helpTitle}`, t.helpIntro, '']
  for (const c of ctx.registry.commands) {
    if (c.adminOnly && !ctx.isAdmin) continue
    const admin = c.adminOnly ? ` ${t.helpAdmin}` : ''
    const aliases = c.aliases.length ? ` (${t.helpAliases}: ${c.aliases.join(', ')})` : ''
    lines.push(`- **${c.usage[ctx.locale]}**${admin}: ${c.summary[ctx.locale]}${aliases}`)
  }
  lines.push('', t.helpFooter)
  return lines.join('\n')
}

export const helpCommand: Command = {
  name: 'help',
  aliases: ['帮助', '?'],
  summary: { en: 'this list', 'zh-CN': '显示本帮助' },
  usage: { en: 'help', 'zh-CN': '帮助' },
  async run(ctx) {
    return markdownReply(strings(ctx.locale).helpTitle, helpText(ctx), ctx.mention)
  },
}
