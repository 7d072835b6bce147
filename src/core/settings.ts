import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import type { Locale } from './locale.js'

/** A chat's own reply language and time zone, set by admins (`/lang`, `/tz`). Unset: the defaults. */
export interface ChatSettings {
  readonly locale?: Locale
  readonly timeZone?: string
}

/** An admin's change is confirmed to the chat only once it is committed, and survives a Redis outage. */
export const settingsKeyspace: Keyspace = {
  prefix: 'settings:',
  owner: 'core/settings',
  persistence: 'confirmed',
  outage: 'mirror',
}

/** What a chat without its own settings gets (`BOT_LOCALE`, `BOT_TIMEZONE`). */
export type ChatDefaults = Required<ChatSettings>

/** Chat settings by conversation id, in the store (so they survive restarts and replicas share them). */
export class ChatSettingsStore {
  constructor(
    private readonly store: Store,
    readonly defaults: ChatDefaults,
  ) {}

  private key(conversationId: string): string {
    return `${settingsKeyspace.prefix}${conversationId}`
  }

  async get(conversationId: string): Promise<ChatSettings> {
    const raw = await this.store.get(this.key(conversationId))
    if (!raw) return {}
    try {
      return JSON.parse(raw) as ChatSettings
    } catch {
      return {}
    }
  }

  /** Resolves once the change is stored as its keyspace promises (committed: it survives a crash). */
  async update(conversationId: string, change: ChatSettings): Promise<ChatSettings> {
    const next = { ...(await this.get(conversationId)), ...change }
    await this.store.set(this.key(conversationId), JSON.stringify(next))
    return next
  }
}
