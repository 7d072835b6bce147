import type { Logger } from '../logger.js'
import type { Locale, Localized } from './locale.js'
import type { Answer, InboundMessage } from './message.js'
import type { Mention } from './reply.js'
import { editDistance, isCjk, languageOf } from './text.js'

/**
 * Everything a command gets from the core about the message it answers. What else it needs (a
 * meeting service, the chat settings) its feature hands it when it builds the command.
 */
export interface CommandContext {
  readonly msg: InboundMessage
  /** The text after the command word, normalised. */
  readonly args: string
  readonly locale: Locale
  readonly timeZone: string
  readonly now: number
  readonly log: Logger
  /** Set in group chats: replies @-mention the asker. */
  readonly mention: Mention | undefined
  readonly isAdmin: boolean
  /** Every command, for help. */
  readonly registry: CommandRegistry
}

export interface Command {
  readonly name: string
  readonly aliases: readonly string[]
  readonly summary: Localized
  readonly usage: Localized
  readonly adminOnly?: boolean
  run(ctx: CommandContext): Promise<Answer>
}

export type Match =
  | {
      readonly kind: 'command'
      readonly command: Command
      readonly word: string
      readonly args: string
      readonly locale?: Locale
    }
  | { readonly kind: 'empty' }
  | {
      readonly kind: 'unknown'
      readonly word: string
      readonly suggestion?: string
      readonly locale?: Locale
    }

/** The commands the bot knows, in the order help lists them. Help is generated from here. */
export class CommandRegistry {
  private readonly byWord = new Map<string, Command>()
  /** Chinese aliases may be typed without a space before the argument: `会议615902734`. */
  private readonly cjkWords: string[] = []

  constructor(readonly commands: readonly Command[]) {
    for (const c of commands) {
      for (const word of [c.name, ...c.aliases]) {
        const key = word.toLowerCase()
        if (this.byWord.has(key)) throw new Error(`command word "${word}" is registered twice`)
        this.byWord.set(key, c)
        if (isCjk(word)) this.cjkWords.push(key)
      }
    }
    this.cjkWords.sort((a, b) => b.length - a.length)
  }

  get(name: string): Command | undefined {
    return this.byWord.get(name.toLowerCase())
  }

  /** Matches normalised text: optional leading `/`, case-insensitive command word, then arguments. */
  match(text: string): Match {
    const body = text.replace(/^\/\s*/, '')
    if (!body) return { kind: 'empty' }
    const space = body.indexOf(' ')
    const word = space < 0 ? body : body.slice(0, space)
    const args = space < 0 ? '' : body.slice(space + 1).trim()
    const command = this.byWord.get(word.toLowerCase())
    if (command) return { kind: 'command', command, word, args, ...localeOf(word) }
    const glued = this.cjkWords.find((w) => body.startsWith(w))
    if (glued) {
      const c = this.byWord.get(glued) as Command
      return {
        kind: 'command',
        command: c,
        word: glued,
        args: body.slice(glued.length).trim(),
        ...localeOf(glued),
      }
    }
    const suggestion = this.suggest(word.toLowerCase())
    return { kind: 'unknown', word, ...(suggestion ? { suggestion } : {}), ...localeOf(word) }
  }

  /** The closest command word, when one is close enough to be a typo. */
  private suggest(word: string): string | undefined {
    if (word.length < 2) return undefined
    const limit = word.length <= 4 ? 1 : 2
    let best: { word: string; d: number } | undefined
    for (const candidate of this.byWord.keys()) {
      if (candidate.length < 2) continue
      const d = editDistance(word, candidate)
      if (d <= limit && (!best || d < best.d)) best = { word: candidate, d }
    }
    return best?.word
  }
}

function localeOf(word: string): { locale?: Locale } {
  const locale = languageOf(word)
  return locale ? { locale } : {}
}
