import type { Locale } from './locale.js'

/**
 * What the core itself says, whatever the features: the answers to messages no command took,
 * refusals, and the reference id of an error. Features keep their own texts in their folders.
 * The `zh-CN` table is typed against `en`, so the keys cannot drift apart.
 */
const en = {
  unknownCommand: (word: string) => `I don't know "${word}". Send "help" to see what I can do.`,
  didYouMean: (word: string, suggestion: string) => `I don't know "${word}". Did you mean "${suggestion}"?`,
  sendText: 'I can only read text messages. Send me "meeting <room code>" or "help".',
  adminOnly: 'Only admins can use that command.',
  slowDown:
    'This chat is sending me more messages than DingTalk lets me answer right away; my replies will be a little late.',
  rateLimited: 'You are sending me commands faster than I answer them; please wait a minute.',
  internalError: 'Something went wrong on my side.',
  reference: (ref: string) => `(ref ${ref})`,
}

export type CoreStrings = typeof en

const zh: CoreStrings = {
  unknownCommand: (word) => `我不认识“${word}”。发送“帮助”查看可用命令。`,
  didYouMean: (word, suggestion) => `我不认识“${word}”。你是想用“${suggestion}”吗？`,
  sendText: '我只能读文字消息。请发送“会议 <会议号>”或“帮助”。',
  adminOnly: '只有管理员可以使用这个命令。',
  slowDown: '这个群发给我的消息太多，超过了钉钉允许的回复频率，我的回复会稍有延迟。',
  rateLimited: '你发命令的速度超过了我的处理速度，请稍等一分钟。',
  internalError: '我这边出了点问题。',
  reference: (ref) => `（参考编号 ${ref}）`,
}

const TABLES: Record<Locale, CoreStrings> = { en, 'zh-CN': zh }

export function coreStrings(locale: Locale): CoreStrings {
  return TABLES[locale]
}
