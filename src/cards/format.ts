import { tz } from '@date-fns/tz'
import { format, isSameDay } from 'date-fns'
import { enUS, zhCN } from 'date-fns/locale'
import type { Locale } from '../core/locale.js'

const DATE_LOCALES = { en: enUS, 'zh-CN': zhCN } as const
const PATTERNS = {
  en: { full: 'EEE, d MMM yyyy HH:mm (O)', time: 'HH:mm (O)' },
  'zh-CN': { full: 'yyyy年M月d日 EEE HH:mm (O)', time: 'HH:mm (O)' },
} as const

/** Formatted times by their inputs. A card's times repeat for every question about the meeting. */
const formatted = new Map<string, string>()
const FORMATTED_MAX = 1000

/** A point in time in the card's zone; `sameDayAs` drops the date when it repeats the start's. */
export function formatTime(epochMs: number, locale: Locale, timeZone: string, sameDayAs?: number): string {
  // Pure in its inputs, and time-zone formatting is the costliest part of a card (profiled: 5 to
  // 10% of the bot's CPU per cached question), so the result is remembered (bounded).
  const key = `${epochMs}|${locale}|${timeZone}|${sameDayAs ?? ''}`
  const hit = formatted.get(key)
  if (hit !== undefined) return hit
  const opts = { locale: DATE_LOCALES[locale], in: tz(timeZone) }
  const short = sameDayAs !== undefined && isSameDay(epochMs, sameDayAs, { in: tz(timeZone) })
  const text = format(epochMs, short ? PATTERNS[locale].time : PATTERNS[locale].full, opts)
  if (formatted.size >= FORMATTED_MAX) formatted.clear()
  formatted.set(key, text)
  return text
}

const UNITS: Record<Locale, Record<'d' | 'h' | 'min' | 's' | 'sep', string>> = {
  en: { d: ' d', h: ' h', min: ' min', s: ' s', sep: ' ' },
  'zh-CN': { d: '天', h: '小时', min: '分钟', s: '秒', sep: '' },
}

/**
 * Compact duration: `1 h 30 min` / `1小时30分钟`. Days and hours drop the seconds; under an hour
 * the seconds show when they are not zero (`45 min 30 s`). Negative input counts as zero.
 */
export function formatDuration(
  ms: number,
  locale: Locale,
  precision: 'seconds' | 'minutes' = 'seconds',
): string {
  const u = UNITS[locale]
  let rest = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(rest / 86_400)
  rest -= d * 86_400
  const h = Math.floor(rest / 3600)
  rest -= h * 3600
  const min = Math.floor(rest / 60)
  const s = rest - min * 60
  const parts: string[] = []
  if (d) parts.push(`${d}${u.d}`)
  if (h) parts.push(`${h}${u.h}`)
  if (min && d === 0) parts.push(`${min}${u.min}`)
  if (s && d === 0 && h === 0 && precision === 'seconds') parts.push(`${s}${u.s}`)
  if (parts.length === 0) return precision === 'seconds' ? `0${u.s}` : `0${u.min}`
  return parts.join(u.sep)
}
