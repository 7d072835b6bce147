import type { Feature } from '../../core/feature.js'
import type { ChatSettingsStore } from '../../core/settings.js'
import { langCommand, tzCommand } from './chat-settings.js'
import { configCommand } from './config-command.js'
import { type StatusSources, statusCommand } from './status.js'

export interface AdminDeps {
  readonly settings: ChatSettingsStore
  readonly status: StatusSources
  /** The effective configuration by variable name, secrets masked. */
  readonly configView: () => Record<string, string>
}

/** The operators' commands: `/status`, `/lang`, `/tz`, `/config`. Admins only; every use audited. */
export function adminFeature(deps: AdminDeps): Feature {
  return {
    name: 'admin',
    commands: [
      statusCommand(deps.status),
      langCommand(deps.settings),
      tzCommand(deps.settings),
      configCommand(deps.configView),
    ],
  }
}
