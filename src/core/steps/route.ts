import type { Command, CommandRegistry } from '../commands.js'
import type { MessageContext } from '../context.js'
import type { Locale } from '../locale.js'
import type { InboundMessage } from '../message.js'
import type { Next, Step } from '../pipeline.js'
import { textReply } from '../reply.js'
import type { ChatSettings } from '../settings.js'
import { coreStrings } from '../strings.js'

export interface RouteOptions {
  readonly registry: CommandRegistry
  /** What an empty message runs (help), if any feature said. */
  readonly onEmpty?: Command | undefined
  /** Features' readings of text that starts with no command word, in order. */
  readonly fallbacks: readonly ((text: string) => Command | undefined)[]
  /** Staff ids that are admins besides DingTalk's own org admins (`BOT_ADMINS`). */
  readonly admins: readonly string[]
  /**
   * A third-party app serves many orgs and a staff id is only unique in its org: `BOT_ADMINS`
   * entries then name `corpId/staffId`, and a bare staff id makes nobody an admin.
   */
  readonly qualifiedAdmins?: boolean
  readonly clock: () => number
}

/** An org admin by DingTalk's word, or a staff id the operator listed. */
export function isAdmin(msg: InboundMessage, admins: readonly string[], qualified = false): boolean {
  if (msg.sender.isAdmin) return true
  const staffId = msg.sender.staffId
  if (!staffId) return false
  if (!qualified) return admins.includes(staffId)
  return !!msg.org && admins.includes(`${msg.org.corpId}/${staffId}`)
}

/**
 * Text → the command to run, its arguments, the answer's language and time zone; the admin gate;
 * the audit line of every admin command (who, where, what, how it went: after the run, so a
 * failure's reference id is in it). Unknown words get a hint ("did you mean").
 */
export function route(opts: RouteOptions): Step<MessageContext> {
  const { registry, onEmpty, fallbacks, admins, clock, qualifiedAdmins } = opts

  const choose = (ctx: MessageContext, next: Next, settings: ChatSettings): Promise<void> => {
    const match = registry.match(ctx.text)
    let command: Command | undefined
    let args = ctx.text
    if (match.kind === 'command') {
      command = match.command
      args = match.args
    } else if (match.kind === 'empty') {
      command = onEmpty
      args = ''
    } else {
      for (const fallback of fallbacks) {
        command = fallback(ctx.text)
        if (command) break
      }
    }
    const locale =
      (match.kind !== 'empty' ? match.locale : undefined) ?? settings.locale ?? ctx.defaults.locale
    ctx.locale = locale
    if (!command) {
      if (match.kind === 'unknown') hint(ctx, locale, match.word, match.suggestion)
      return DONE
    }
    ctx.command = command.name
    const admin = isAdmin(ctx.msg, admins, qualifiedAdmins)
    ctx.invocation = {
      command,
      context: {
        msg: ctx.msg,
        args,
        locale,
        timeZone: settings.timeZone ?? ctx.defaults.timeZone,
        now: clock(),
        log: ctx.log,
        mention: ctx.mention,
        isAdmin: admin,
        registry,
      },
    }
    return command.adminOnly ? gated(ctx, next, command, args, admin) : next()
  }

  // Not `async`: an everyone command passes to the next step without a promise of this step's own.
  return (ctx, next) => ctx.settings().then((settings) => choose(ctx, next, settings))
}

const DONE = Promise.resolve()

function hint(ctx: MessageContext, locale: Locale, word: string, suggestion: string | undefined): void {
  const t = coreStrings(locale)
  ctx.reply = textReply(suggestion ? t.didYouMean(word, suggestion) : t.unknownCommand(word), ctx.mention)
  ctx.command = 'unknown'
  ctx.result = 'usage'
}

/** An admin command: run for admins only; either way, the audit line once it is through. */
async function gated(ctx: MessageContext, next: Next, command: Command, args: string, admin: boolean) {
  if (admin) {
    await next()
  } else {
    ctx.reply = textReply(coreStrings(ctx.locale ?? ctx.defaults.locale).adminOnly, ctx.mention)
    ctx.result = 'usage'
  }
  const { sender, conversation } = ctx.msg
  ctx.log.info(
    {
      audit: true,
      who: sender.staffId || sender.id,
      nick: sender.nick,
      where: conversation.id,
      command: command.name,
      args,
      result: admin ? ctx.result : 'denied',
      ...(ctx.ref ? { ref: ctx.ref } : {}),
    },
    'admin command',
  )
}
