import type { Locale } from './config.js'
import type { ConversationPrefs } from './core/bot.js'
import type { Store } from './store/store.js'

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
