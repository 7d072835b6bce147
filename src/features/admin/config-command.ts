import type { Command } from '../../core/commands.js'
import { markdownReply } from '../../core/reply.js'
import { adminStrings as strings } from './strings.js'

/** `/config`: the effective configuration by variable name, every secret masked. */
export function configCommand(view: () => Record<string, string>): Command {
  return {
    name: 'config',
    aliases: ['配置'],
    adminOnly: true,
    summary: { en: 'the effective configuration, secrets masked', 'zh-CN': '查看当前配置（密钥已隐藏）' },
    usage: { en: '/config', 'zh-CN': '/配置' },
    async run(ctx) {
      const t = strings(ctx.locale)
      const rows = Object.entries(view()).map(([k, v]) => `- ${k} = ${v}`)
      return markdownReply(
        t.configTitle,
        [`#### ${t.configTitle}`, ...rows, '', `> ${t.configNote}`].join('\n'),
        ctx.mention,
      )
    },
  }
}
