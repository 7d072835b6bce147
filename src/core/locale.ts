/** The languages the bot answers in. Every sentence it says exists in each. */
export type Locale = 'zh-CN' | 'en'
export const LOCALES: readonly Locale[] = ['zh-CN', 'en']

/** One text in every language. */
export type Localized = Readonly<Record<Locale, string>>

/** Whether `zone` is an IANA time zone this runtime knows (`Asia/Shanghai`, `UTC`). */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
