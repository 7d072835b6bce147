import type { Keyspace } from '../store/keyspaces.js'
import type { CardActionHandler } from './card-action.js'
import { type Command, CommandRegistry } from './commands.js'
import { type ExplainFailure, Failures } from './errors.js'
import type { EventHandler } from './event.js'

/**
 * A feature is a folder that plugs into the core from outside: its commands, what it makes of
 * text that is no command, how its errors read, and which keys its state uses. The core names
 * no feature; the composition root lists them (`features/index.ts`).
 *
 * Other kinds of inbound traffic register here too and go through the same de-dup, error
 * boundary and report as messages: platform events (`events`, by `eventType`) and card button
 * clicks (`cardActions`, by action).
 */
export interface Feature {
  readonly name: string
  /** In the order help lists them. */
  readonly commands?: readonly Command[]
  /** What a message without text (a bare @-mention) runs. At most one feature claims it. */
  readonly onEmpty?: Command
  /**
   * Text that starts with no command word but that this feature understands (a bare room code,
   * a join link): the command to run with the whole text as its arguments, or undefined.
   */
  readonly fallback?: (text: string) => Command | undefined
  /** How this feature's errors read to the user. */
  readonly failures?: readonly ExplainFailure[]
  /** The keyspaces this feature's state lives in. */
  readonly keyspaces?: readonly Keyspace[]
  /** Platform events this feature acts on, by `eventType` (`meeting_status_change`...). */
  readonly events?: Readonly<Record<string, EventHandler>>
  /** Card button actions this feature answers (`refresh`, `members`...); one feature per action. */
  readonly cardActions?: Readonly<Record<string, CardActionHandler>>
}

/** The features, put together once for the core: one registry, the fallbacks, the failures, the keys. */
export interface Assembled {
  readonly registry: CommandRegistry
  readonly onEmpty: Command | undefined
  readonly fallbacks: readonly ((text: string) => Command | undefined)[]
  readonly failures: Failures
  readonly keyspaces: readonly Keyspace[]
  /** Every feature's handlers of each event type, in feature order. */
  readonly events: ReadonlyMap<string, readonly EventHandler[]>
  /** The handler of each card action. */
  readonly cardActions: ReadonlyMap<string, CardActionHandler>
}

export function assemble(features: readonly Feature[]): Assembled {
  const empty = features.filter((f) => f.onEmpty)
  if (empty.length > 1)
    throw new Error(`features ${empty.map((f) => f.name).join(', ')} all claim empty messages`)
  return {
    registry: new CommandRegistry(features.flatMap((f) => f.commands ?? [])),
    onEmpty: empty[0]?.onEmpty,
    fallbacks: features.flatMap((f) => (f.fallback ? [f.fallback] : [])),
    failures: new Failures(features.flatMap((f) => f.failures ?? [])),
    keyspaces: features.flatMap((f) => f.keyspaces ?? []),
    events: eventTable(features),
    cardActions: actionTable(features),
  }
}

function actionTable(features: readonly Feature[]): Map<string, CardActionHandler> {
  const table = new Map<string, CardActionHandler>()
  const owner = new Map<string, string>()
  for (const f of features) {
    for (const [action, handler] of Object.entries(f.cardActions ?? {})) {
      const other = owner.get(action)
      if (other) throw new Error(`features ${other} and ${f.name} both answer the card action ${action}`)
      owner.set(action, f.name)
      table.set(action, handler)
    }
  }
  return table
}

function eventTable(features: readonly Feature[]): Map<string, EventHandler[]> {
  const table = new Map<string, EventHandler[]>()
  for (const f of features) {
    for (const [type, handler] of Object.entries(f.events ?? {})) {
      table.set(type, [...(table.get(type) ?? []), handler])
    }
  }
  return table
}
