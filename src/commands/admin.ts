import { formatTime } from '../cards/format.js'
import { markdownReply, textReply } from '../cards/reply.js'
import { statusText } from '../cards/status.js'
import { isValidTimeZone, type Locale } from '../config.js'
import type { Command } from '../core/commands.js'
import { editDistance } from '../core/text.js'
import { strings } from '../i18n.js'
import { parseMeetingRef } from '../meeting/reference.js'
import type { Services } from './services.js'

type Admin = Command<Services>

export const statusCommand: Admin = {
  name: 'status',
  aliases: ['状态'],
  adminOnly: true,
  summary: {
    en: 'health, transports, cache and DingTalk quota use',
    'zh-CN': '运行状态、连接、缓存与钉钉接口用量',
  },
  usage: { en: '/status', 'zh-CN': '/状态' },
  async run(ctx) {
    const report = await ctx.services.status()
    const title = ctx.locale === 'en' ? 'Meeting bot status' : '会议助手状态'
    return markdownReply(title, statusText(report, ctx.locale, ctx.timeZone, ctx.now), ctx.mention)
  },
}

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

export const langCommand: Admin = {
  name: 'lang',
  aliases: ['语言'],
  adminOnly: true,
  summary: { en: "this chat's reply language", 'zh-CN': '设置本会话的回复语言' },
  usage: { en: '/lang zh|en', 'zh-CN': '/语言 zh|en' },
  async run(ctx) {
    const arg = ctx.args.trim().toLowerCase()
    if (!arg) {
      const current =
        (await ctx.services.settings.get(ctx.msg.conversation.id)).locale ?? ctx.services.defaults.locale
      return textReply(strings(ctx.locale).langNow(LANG_NAMES[current]), ctx.mention)
    }
    const locale = LANGS[arg]
    if (!locale) return textReply(strings(ctx.locale).langInvalid(ctx.args.trim()), ctx.mention)
    await ctx.services.settings.update(ctx.msg.conversation.id, { locale })
    return textReply(strings(locale).langSet, ctx.mention)
  },
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

export const tzCommand: Admin = {
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
    await ctx.services.settings.update(ctx.msg.conversation.id, { timeZone: zone })
    return textReply(t.tzSet(zone, formatTime(ctx.now, ctx.locale, zone)), ctx.mention)
  },
}

export const configCommand: Admin = {
  name: 'config',
  aliases: ['配置'],
  adminOnly: true,
  summary: { en: 'the effective configuration, secrets masked', 'zh-CN': '查看当前配置（密钥已隐藏）' },
  usage: { en: '/config', 'zh-CN': '/配置' },
  async run(ctx) {
    const t = strings(ctx.locale)
    const rows = Object.entries(ctx.services.configView()).map(([k, v]) => `- ${k} = ${v}`)
    return markdownReply(
      t.configTitle,
      [`#### ${t.configTitle}`, ...rows, '', `> ${t.configNote}`].join('\n'),
      ctx.mention,
    )
  },
}

export const cacheCommand: Admin = {
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
    const n = await ctx.services.meetings.clear(room)
    return textReply(t.cacheCleared(n, room ?? ''), ctx.mention)
  },
}

export const adminCommands: readonly Admin[] = [
  statusCommand,
  langCommand,
  tzCommand,
  configCommand,
  cacheCommand,
]
