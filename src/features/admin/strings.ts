import type { Locale } from '../../core/locale.js'

/** What the admin commands say (the `/status` card has its own table, beside it). */
const en = {
  langSet: 'Replies in this chat are now in English.',
  langNow: (l: string) => `Replies in this chat are in ${l}. Change with "/lang zh" or "/lang en".`,
  langInvalid: (v: string) => `"${v}" is not a language I speak. Valid values: zh (中文), en (English).`,
  tzSet: (z: string, example: string) => `Times in this chat are now in ${z} (now: ${example}).`,
  tzNow: (z: string) =>
    `Times in this chat are in ${z}. Change with "/tz <IANA zone>", e.g. "/tz Asia/Shanghai".`,
  tzInvalid: (v: string, close: string) =>
    `"${v}" is not an IANA time zone.${close ? ` Did you mean: ${close}?` : ''} Valid zones are names like Asia/Shanghai, Asia/Tokyo, Europe/Berlin, America/New_York, UTC (full list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).`,
  configTitle: 'Effective configuration',
  configNote: 'Secrets are masked.',
}

export type AdminStrings = typeof en

const zh: AdminStrings = {
  langSet: '本会话的回复语言已改为中文。',
  langNow: (l) => `本会话的回复语言是${l}。可用“/lang zh”或“/lang en”修改。`,
  langInvalid: (v) => `不支持“${v}”。可选值：zh（中文）、en（English）。`,
  tzSet: (z, example) => `本会话的时区已改为 ${z}（现在是 ${example}）。`,
  tzNow: (z) => `本会话的时区是 ${z}。可用“/tz <IANA 时区>”修改，例如“/tz Asia/Shanghai”。`,
  tzInvalid: (v, close) =>
    `“${v}”不是 IANA 时区名。${close ? `你是想用：${close}？` : ''}有效的时区如 Asia/Shanghai、Asia/Tokyo、Europe/Berlin、America/New_York、UTC（完整列表：https://en.wikipedia.org/wiki/List_of_tz_database_time_zones）。`,
  configTitle: '当前生效的配置',
  configNote: '密钥已隐藏。',
}

const TABLES: Record<Locale, AdminStrings> = { en, 'zh-CN': zh }

export function adminStrings(locale: Locale): AdminStrings {
  return TABLES[locale]
}
