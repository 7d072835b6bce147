import { type Mention, markdownReply, textReply } from '../cards/reply.js'
import { helpText } from '../commands/help.js'
import type { Locale } from '../config.js'
import {
  type Delivery,
  DeliveryFailedError,
  type DeliveryPath,
  type InlineSlot,
} from '../delivery/delivery.js'
import { strings } from '../i18n.js'
import { type Logger, lazyChild } from '../logger.js'
import { parseMeetingRef } from '../meeting/reference.js'
import type { CommandContext, CommandRegistry } from './commands.js'
import type { Deduper } from './dedupe.js'
import { describeFailure } from './failure.js'
import type { InboundMessage, Reply } from './message.js'
import type { UserRateLimiter } from './rate-limit.js'
import { newRefId } from './refid.js'
import { normalizeText } from './text.js'

/** Per-conversation overrides of the reply language and time zone. */
export interface ConversationPrefs {
  readonly locale?: Locale
  readonly timeZone?: string
}

export interface BotOptions<S> {
  readonly registry: CommandRegistry<S>
  readonly services: S
  readonly dedupe: Deduper
  readonly delivery: Delivery
  readonly log: Logger
  readonly defaults: { readonly locale: Locale; readonly timeZone: string }
  readonly clock?: () => number
  readonly prefs?: (conversationId: string) => Promise<ConversationPrefs>
  readonly isAdmin?: (msg: InboundMessage) => boolean
  readonly rateLimiter?: UserRateLimiter
  readonly observer?: BotObserver
}

export type Outcome = 'answered' | 'duplicate' | 'failed' | 'ignored' | 'rejected'

export interface HandledReport {
  readonly command: string
  readonly result: Answer['outcome']
  readonly outcome: Outcome
  readonly path: DeliveryPath | undefined
  readonly durationMs: number
}

/** Metrics and `/status` counters watch the bot through this; it never affects handling. */
export interface BotObserver {
  handled(msg: InboundMessage, report: HandledReport): void
  duplicate(msg: InboundMessage): void
  rateLimited(msg: InboundMessage, action: 'refused' | 'ignored'): void
}

export interface Answer {
  readonly reply: Reply | undefined
  /** The command that ran, `unknown`, `help`..., for logs and metrics. */
  readonly command: string
  readonly outcome: 'ok' | 'usage' | 'error' | 'unsupported' | 'platform-error' | 'rate-limited'
  readonly ref?: string
}

/**
 * The transport-agnostic core: de-duplicate ▸ normalise ▸ route ▸ run ▸ deliver. Every error is
 * caught at one boundary that logs it with a reference id and answers the user honestly.
 */
export class Bot<S> {
  private readonly clock: () => number
  private readonly inFlight = new Set<Promise<unknown>>()
  private accepting = true

  constructor(private readonly opts: BotOptions<S>) {
    this.clock = opts.clock ?? Date.now
  }

  /** Handles one message end to end. Never throws: the outcome says what happened. */
  handle(msg: InboundMessage, inline?: InlineSlot): Promise<Outcome> {
    if (!this.accepting) return Promise.resolve('rejected')
    const p = this.process(msg, inline)
    this.inFlight.add(p)
    void p.finally(() => this.inFlight.delete(p))
    return p
  }

  /** Stops taking messages and waits (bounded) for the ones in flight to be answered. */
  async drain(timeoutMs: number): Promise<{ pending: number }> {
    this.accepting = false
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    })
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout])
    clearTimeout(timer)
    return { pending: this.inFlight.size }
  }

  get pending(): number {
    return this.inFlight.size
  }

  private async process(msg: InboundMessage, inline?: InlineSlot): Promise<Outcome> {
    const started = this.clock()
    const log = lazyChild(this.opts.log, {
      msgId: msg.id,
      conversation: msg.conversation.id,
      transport: msg.transport,
    })
    let claimed: boolean
    try {
      claimed = await this.opts.dedupe.claim(msg.id)
    } catch (err) {
      log.error({ err }, 'de-duplication ledger unavailable; message not handled')
      return 'failed'
    }
    if (!claimed) {
      log.info('duplicate delivery ignored')
      this.opts.observer?.duplicate(msg)
      return 'duplicate'
    }
    // The chat's settings are read once per message (answer, rate-limit text, slow-down notice).
    let prefs: Promise<ConversationPrefs> | undefined
    const chatPrefs = () => {
      prefs ??= this.prefs(msg)
      return prefs
    }
    const answer = await this.limitedAnswer(msg, log, chatPrefs)
    let outcome: Outcome = answer.reply ? 'answered' : 'ignored'
    let path: DeliveryPath | undefined
    if (answer.reply) {
      try {
        path = await this.opts.delivery.deliver({
          msg,
          reply: answer.reply,
          log,
          inline,
          slowDownNotice: async () => textReply(strings(await this.localeFor(chatPrefs)).slowDown),
        })
      } catch (err) {
        outcome = 'failed'
        const reason = err instanceof DeliveryFailedError ? err.reason : 'failed'
        log.error({ err, reason, command: answer.command, ref: answer.ref }, 'reply not delivered')
      }
    }
    await this.opts.dedupe
      .done(msg.id)
      .catch((err: unknown) => log.warn({ err }, 'could not mark message done'))
    const report = {
      command: answer.command,
      result: answer.outcome,
      outcome,
      path,
      durationMs: this.clock() - started,
    }
    log.info({ ...report, ref: answer.ref }, 'message handled')
    this.opts.observer?.handled(msg, report)
    return outcome
  }

  /** The answer, unless the sender is over the rate limit: told once per window, then ignored. */
  private async limitedAnswer(
    msg: InboundMessage,
    log: Logger,
    chatPrefs: () => Promise<ConversationPrefs>,
  ): Promise<Answer> {
    const limiter = this.opts.rateLimiter
    const verdict = limiter
      ? await limiter.check(msg.sender.staffId || msg.sender.id).catch(() => 'allow' as const)
      : 'allow'
    if (verdict === 'allow') return this.answer(msg, log, await chatPrefs())
    this.opts.observer?.rateLimited(msg, verdict === 'refuse' ? 'refused' : 'ignored')
    log.info({ sender: msg.sender.staffId, action: verdict }, 'sender over the rate limit')
    const mention =
      msg.conversation.type === 'group' ? { staffId: msg.sender.staffId, nick: msg.sender.nick } : undefined
    const reply =
      verdict === 'refuse'
        ? textReply(strings(await this.localeFor(chatPrefs)).rateLimited, mention)
        : undefined
    return { reply, command: 'none', outcome: 'rate-limited' }
  }

  private async localeFor(chatPrefs: () => Promise<ConversationPrefs>): Promise<Locale> {
    return (await chatPrefs()).locale ?? this.opts.defaults.locale
  }

  private async prefs(msg: InboundMessage): Promise<ConversationPrefs> {
    try {
      return (await this.opts.prefs?.(msg.conversation.id)) ?? {}
    } catch {
      return {}
    }
  }

  /**
   * Works out the reply to a message. Pure of delivery: used by tests and the terminal chat too.
   * `prefs`: the chat's settings when the caller has read them already.
   */
  async answer(msg: InboundMessage, log: Logger, known?: ConversationPrefs): Promise<Answer> {
    const prefs = known ?? (await this.prefs(msg))
    const mention: Mention | undefined =
      msg.conversation.type === 'group' ? { staffId: msg.sender.staffId, nick: msg.sender.nick } : undefined
    const timeZone = prefs.timeZone ?? this.opts.defaults.timeZone
    const now = this.clock()
    const isAdmin = this.opts.isAdmin?.(msg) ?? msg.sender.isAdmin
    const { services, registry } = this.opts
    // One literal, one shape (profiled: spreading a base object here cost more than routing).
    const context = (args: string, locale: Locale): CommandContext<S> => ({
      msg,
      args,
      locale,
      timeZone,
      now,
      log,
      mention,
      isAdmin,
      services,
      registry,
    })
    const fallbackLocale = prefs.locale ?? this.opts.defaults.locale
    if (msg.content.kind === 'platform-error') {
      log.warn(
        { code: msg.content.code },
        'DingTalk paused robot messages for this org; nothing can be answered',
      )
      return { reply: undefined, command: 'none', outcome: 'platform-error' }
    }
    if (msg.content.kind === 'unsupported') {
      return {
        reply: textReply(strings(fallbackLocale).sendText, mention),
        command: 'none',
        outcome: 'unsupported',
      }
    }
    const text = normalizeText(msg.content.text)
    const match = this.opts.registry.match(text)
    const t = (l: Locale) => strings(l)
    if (match.kind === 'empty') {
      const ctx = context('', fallbackLocale)
      return {
        reply: markdownReply(t(ctx.locale).helpTitle, helpText(ctx), mention),
        command: 'help',
        outcome: 'ok',
      }
    }
    if (match.kind === 'unknown') {
      // A bare room code or join link is a meeting question.
      const meeting = this.opts.registry.get('meeting')
      if (meeting && parseMeetingRef(text)) {
        return this.run(meeting.name, context(text, fallbackLocale), meeting.run)
      }
      const locale = match.locale ?? fallbackLocale
      const hint = match.suggestion
        ? t(locale).didYouMean(match.word, match.suggestion)
        : t(locale).unknownCommand(match.word)
      return { reply: textReply(hint, mention), command: 'unknown', outcome: 'usage' }
    }
    const locale = match.locale ?? fallbackLocale
    const { command } = match
    // The message's logger: its lines say the command themselves (a second child per message costs).
    const ctx = context(match.args, locale)
    if (!command.adminOnly) return this.run(command.name, ctx, command.run)
    const answer = isAdmin
      ? await this.run(command.name, ctx, command.run)
      : ({ reply: textReply(t(locale).adminOnly, mention), command: command.name, outcome: 'usage' } as const)
    // The audit trail: who ran which admin command where, and how it went.
    log.info(
      {
        audit: true,
        who: msg.sender.staffId || msg.sender.id,
        nick: msg.sender.nick,
        where: msg.conversation.id,
        command: command.name,
        args: match.args,
        result: isAdmin ? answer.outcome : 'denied',
        ...(answer.ref ? { ref: answer.ref } : {}),
      },
      'admin command',
    )
    return answer
  }

  private async run(
    name: string,
    ctx: CommandContext<S>,
    run: (ctx: CommandContext<S>) => Promise<Reply>,
  ): Promise<Answer> {
    try {
      return { reply: await run(ctx), command: name, outcome: 'ok' }
    } catch (err) {
      const ref = newRefId()
      const failure = describeFailure(err)
      ctx.log[failure.level]({ err, ref, failure: failure.key, command: name }, 'command failed')
      const t = strings(ctx.locale)
      const text = `${t.errors[failure.key]} ${t.reference(ref)}`
      return { reply: textReply(text, ctx.mention), command: name, outcome: 'error', ref }
    }
  }
}
