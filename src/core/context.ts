import type { Logger } from '../logger.js'
import type { CardActionOutcome } from './card-action.js'
import type { Command, CommandContext } from './commands.js'
import type { EventOutcome } from './event.js'
import type { Locale } from './locale.js'
import type { InboundMessage, Reply, ReplySink, TransportKind } from './message.js'
import type { MessageOutcome } from './port.js'
import { type Mention, mentionFor } from './reply.js'
import type { ChatDefaults, ChatSettings } from './settings.js'

/** How the work for one inbound item went, for the log line and the metrics. */
export type CommandResult = 'ok' | 'usage' | 'error' | 'unsupported' | 'platform-error' | 'rate-limited'

/**
 * What became of an inbound item of any kind. The steps every kind shares set only `duplicate`
 * and `failed`, which every kind has; each kind's context narrows the field to its own outcomes.
 */
export type InboundOutcome = MessageOutcome | EventOutcome | CardActionOutcome

/**
 * What every inbound kind has, whatever it is (a robot message, a platform event, a card button
 * click): the steps that serve them all (de-dup, report, error boundary) see only this.
 */
export interface InboundContext {
  /**
   * The de-duplication key: DingTalk's `msgId` for a robot message, `eventId` for an event, a
   * hash of the click's content for a card click (DingTalk gives a click no id).
   */
  readonly id: string
  readonly transport: TransportKind
  readonly log: Logger
  /** Clock time the core took it. */
  readonly started: number
  /** What ran: a command's name, `unknown`, or `none`; for an event, its type; for a click, its action. */
  command: string
  result: CommandResult
  outcome: InboundOutcome
  /** The reference id of an error, shown to the user and in the log line. */
  ref: string | undefined
}

/** The line written and the numbers counted once a message is handled. */
export interface HandledReport {
  readonly command: string
  readonly result: CommandResult
  readonly outcome: MessageOutcome
  readonly path: string | undefined
  readonly durationMs: number
}

/** The numbers counted once a platform event is through its flow (duplicates included). */
export interface EventReport {
  readonly eventType: string
  readonly outcome: EventOutcome
  readonly durationMs: number
}

/** The numbers counted once a card click is through its flow (duplicates included). */
export interface CardActionReport {
  /** The action when some feature answers it, else `other`: a metrics label, bounded. */
  readonly action: string
  readonly outcome: CardActionOutcome
  readonly durationMs: number
}

/** Metrics and `/status` counters watch the flows through this; it never changes handling. */
export interface FlowObserver {
  handled(ctx: InboundContext, report: HandledReport): void
  /** Every event, whatever became of it (its outcome says: handled, duplicate, ignored, failed). */
  event(ctx: InboundContext, report: EventReport): void
  /** Every card click, whatever became of it; optional for observers that count no clicks. */
  cardAction?(ctx: InboundContext, report: CardActionReport): void
  duplicate(ctx: InboundContext): void
  rateLimited(ctx: InboundContext, action: 'refused' | 'ignored'): void
}

/** Where a message's chat settings come from. */
export interface ChatSource {
  readonly defaults: ChatDefaults
  /** The chat's settings; `msg` says whose chat it is (the org, for a third-party app). */
  get(conversationId: string, msg?: InboundMessage): Promise<ChatSettings>
}

/** The command the route step chose, ready to run. */
export interface Invocation {
  readonly command: Command
  readonly context: CommandContext
}

/** One robot message on its way through the flow; the steps fill in what they decide. */
export class MessageContext implements InboundContext {
  command = 'none'
  result: CommandResult = 'ok'
  outcome: MessageOutcome = 'ignored'
  /** How the answer went out (`inline`, `webhook`, `openapi`). */
  path: string | undefined = undefined
  ref: string | undefined = undefined
  /** The normalised text, once the content step has read it. */
  text = ''
  /** The answer's language once a command word chose it (English for `meeting`, Chinese for `会议`). */
  locale: Locale | undefined = undefined
  invocation: Invocation | undefined = undefined
  /** What to say; the deliver step sends it. */
  reply: Reply | undefined = undefined
  /** Set in group chats: replies @-mention the asker. */
  readonly mention: Mention | undefined
  private read: Promise<ChatSettings> | undefined = undefined

  constructor(
    readonly msg: InboundMessage,
    readonly sink: ReplySink | undefined,
    readonly log: Logger,
    readonly started: number,
    private readonly chat: ChatSource,
  ) {
    this.mention = mentionFor(msg)
  }

  get id(): string {
    return this.msg.id
  }

  get transport(): TransportKind {
    return this.msg.transport
  }

  get defaults(): ChatDefaults {
    return this.chat.defaults
  }

  /** The chat's settings, read once per message; a failed read means the defaults. */
  settings(): Promise<ChatSettings> {
    this.read ??= this.chat.get(this.msg.conversation.id, this.msg).catch(() => ({}))
    return this.read
  }

  /** The chat's own reply language, else the default (for what no command word decided). */
  async chatLocale(): Promise<Locale> {
    return (await this.settings()).locale ?? this.chat.defaults.locale
  }
}
