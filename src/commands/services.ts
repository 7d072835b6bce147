import type { StatusReport } from '../cards/status.js'
import type { Locale } from '../config.js'
import type { MeetingService } from '../meeting/service.js'
import type { ConversationSettings } from '../settings.js'

/** What commands may use; built once by the composition root. */
export interface Services {
  readonly meetings: MeetingService
  readonly settings: ConversationSettings
  readonly defaults: { readonly locale: Locale; readonly timeZone: string }
  /** Everything `/status` shows, gathered now. */
  status(): Promise<StatusReport>
  /** The effective configuration by variable name, secrets masked. */
  configView(): Record<string, string>
}
