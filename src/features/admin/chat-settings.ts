import { formatTime } from '../../cards/format.js'
import type { Command } from '../../core/commands.js'
import { isValidTimeZone, type Locale } from '../../core/locale.js'
import { textReply } from '../../core/reply.js'
import type { ChatSettingsStore } from '../../core/settings.js'
import { editDistance } from '../../core/text.js'
import { adminStrings as strings } from './strings.js'

const LANGS: Record<string, Locale> = {
  zh: 'zh-CN',
  'zh-cn': 'zh-CN',
  中文: 'zh-CN',
  cn: 'zh-CN',
  en: 'en',
  english: 'en',
  英文: 'en',
}
const LANG_NAMES: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' }

/** `/lang zh|en`: the chat's reply language. Confirmed only once the change is committed. */
export function langCommand(settings: ChatSettingsStore): Command {
  return {
    name: 'lang',
    aliases: ['语言'],
    adminOnly: true,
    summary: { en: "this chat's reply language", 'zh-CN': '设置本会话的回复语言' },
    usage: { en: '/lang zh|en', 'zh-CN': '/语言 zh|en' },
    async run(ctx) {
      const arg = ctx.args.trim().toLowerCase()
      if (!arg) {
        const current = (await settings.get(ctx.msg.conversation.id)).locale ?? settings.defaults.locale
        return textReply(strings(ctx.locale).langNow(LANG_NAMES[current]), ctx.mention)
      }
      const locale = LANGS[arg]
      if (!locale) return textReply(strings(ctx.locale).langInvalid(ctx.args.trim()), ctx.mention)
      await settings.update(ctx.msg.conversation.id, { locale })
      return textReply(strings(locale).langSet, ctx.mention)
    },
  }
}

/** Canonical spelling of a zone (`asia/shanghai` → `Asia/Shanghai`), or undefined. */
function canonicalZone(zone: string): string | undefined {
  if (!zone || !isValidTimeZone(zone)) return undefined
  return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone
}

function closeZones(input: string): string {
  const all = Intl.supportedValuesOf('timeZone')
  const needle = input.toLowerCase()
  const scored = all
    .map((z) => {
      const city = (z.split('/').pop() ?? z).toLowerCase()
      return {
        z,
        d: z.toLowerCase().includes(needle)
          ? 0
          : Math.min(editDistance(needle, city), editDistance(needle, z.toLowerCase())),
      }
    })
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)
  return scored
    .slice(0, 5)
    .map((x) => x.z)
    .join(', ')
}

/** `/tz <IANA zone>`: the chat's time zone for cards. Confirmed only once the change is committed. */
export function tzCommand(settings: ChatSettingsStore): Command {
  return {
    name: 'tz',
    aliases: ['时区', 'timezone'],
    adminOnly: true,
    summary: { en: "this chat's time zone for cards", 'zh-CN': '设置本会话卡片使用的时区' },
    usage: { en: '/tz <IANA zone>', 'zh-CN': '/时区 <IANA 时区>' },
    async run(ctx) {
      const arg = ctx.args.trim()
      const t = strings(ctx.locale)
      if (!arg) return textReply(t.tzNow(ctx.timeZone), ctx.mention)
      const zone = canonicalZone(arg)
      if (!zone) return textReply(t.tzInvalid(arg, closeZones(arg)), ctx.mention)
      await settings.update(ctx.msg.conversation.id, { timeZone: zone })
      return textReply(t.tzSet(zone, formatTime(ctx.now, ctx.locale, zone)), ctx.mention)
    },
  }
}
