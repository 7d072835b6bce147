import type { InboundMessage, Reply } from './message.js'

/** The asker in a group chat. People outside the org have no staff id and cannot be @-mentioned. */
export interface Mention {
  readonly staffId: string
  readonly nick: string
}

/** In a group chat the answer @-mentions the asker; a one-to-one chat needs no mention. */
export function mentionFor(msg: InboundMessage): Mention | undefined {
  return msg.conversation.type === 'group'
    ? { staffId: msg.sender.staffId, nick: msg.sender.nick }
    : undefined
}

/** Anything `escapeMarkdown` rewrites; most names and titles hold none. */
const MARKUP = /[\r\n\t\\`*_[\]~<>]/

/**
 * Escapes user-controlled text (titles, nicknames) for DingTalk markdown. User text never starts a
 * line on our cards, so only inline markup needs escaping: emphasis, code, brackets (no brackets,
 * no links or images), HTML. Line breaks collapse, so a title cannot add lines of its own.
 */
export function escapeMarkdown(text: string): string {
  if (!MARKUP.test(text)) return text.trim()
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\\`*_[\]~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .trim()
}

/** `@staffId` notifies (DingTalk swaps in the name); without a staff id only the name can be written. */
export function mentionOf(m: Mention, notify: boolean): string {
  return notify && m.staffId ? `@${m.staffId}` : `@${escapeMarkdown(m.nick)}`
}

type Mentionable = Extract<Reply, { msgtype: 'text' | 'markdown' }>

/** Adds the @-mention DingTalk needs twice: the id in `at.atUserIds` and `@id` in the text. */
export function withMention(reply: Mentionable, mention: Mention | undefined): Mentionable {
  if (!mention || (!mention.staffId && !mention.nick)) return reply
  const tag = reply.msgtype === 'text' ? `@${mention.staffId || mention.nick}` : mentionOf(mention, true)
  const at = mention.staffId ? { at: { atUserIds: [mention.staffId], isAtAll: false as const } } : {}
  if (reply.msgtype === 'text') return { ...reply, text: { content: `${tag} ${reply.text.content}` }, ...at }
  return { ...reply, markdown: { ...reply.markdown, text: `${reply.markdown.text}\n\n${tag}` }, ...at }
}

export function textReply(content: string, mention?: Mention): Reply {
  return withMention({ msgtype: 'text', text: { content } }, mention)
}

export function markdownReply(title: string, text: string, mention?: Mention): Reply {
  return withMention({ msgtype: 'markdown', markdown: { title, text } }, mention)
}
