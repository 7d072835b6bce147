import type { Locale } from './locale.js'

const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g
/** `@name` tokens: DingTalk strips the robot's own name from `text`, not from rich text or others' names. */
const MENTION = /(^|\s)@\S+/g
const SPACES = /\s+/g
/** Whitespace that is not a single plain space. */
const ODD_SPACE = /\s\s|[^\S ]/
const NOT_ASCII = /[\u0080-\uffff]/

/**
 * Normalises what a user typed before any matching: Unicode NFKC (full-width `４２７` → `427`,
 * DingTalk's U+2005 spaces → spaces), no zero-width characters, no `@name` tokens, single spaces.
 */
export function normalizeText(raw: string): string {
  // Plain ASCII (most questions) is its own NFKC form and holds no zero-width character.
  let text = NOT_ASCII.test(raw) ? raw.normalize('NFKC').replace(ZERO_WIDTH, '') : raw
  if (text.includes('@')) text = text.replace(MENTION, '$1')
  return (ODD_SPACE.test(text) ? text.replace(SPACES, ' ') : text).trim()
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/

/** The language a word is written in, when it says: Chinese characters or (two or more) Latin letters. */
export function languageOf(word: string): Locale | undefined {
  if (CJK.test(word)) return 'zh-CN'
  return /^[a-z]{2,}$/i.test(word) ? 'en' : undefined
}

export function isCjk(word: string): boolean {
  return CJK.test(word)
}

/** Levenshtein distance, capped: we only care whether two short words are close. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length] as number
}
