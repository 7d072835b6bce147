import type { Reply } from '../core/message.js'
import { escapeMarkdown } from './format.js'

/** The asker in a group chat. People outside the org have no staff id and cannot be @-mentioned. */
export interface Mention {
  readonly staffId: string
  readonly nick: string
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
