import type { Locale } from './config.js'
import type { ConversationPrefs } from './core/bot.js'
import type { Keyspace } from './store/keyspaces.js'
import type { Store } from './store/store.js'

/** An admin's change is confirmed to the chat only once it is committed, and survives a Redis outage. */
export const settingsKeyspace: Keyspace = {
  prefix: 'settings:',
  owner: 'settings',
  persistence: 'confirmed',
  outage: 'mirror',
}

/** Per-conversation reply language and time zone, set by admins with `/lang` and `/tz`; persisted. */
export class ConversationSettings {
  constructor(private readonly store: Store) {}

  private key(conversationId: string): string {
    return `settings:${conversationId}`
  }

  async get(conversationId: string): Promise<ConversationPrefs> {
    const raw = await this.store.get(this.key(conversationId))
    if (!raw) return {}
    try {
      return JSON.parse(raw) as ConversationPrefs
    } catch {
      return {}
    }
  }

  async update(
    conversationId: string,
    change: { locale?: Locale; timeZone?: string },
  ): Promise<ConversationPrefs> {
    const next = { ...(await this.get(conversationId)), ...change }
    await this.store.set(this.key(conversationId), JSON.stringify(next))
    return next
  }
}
