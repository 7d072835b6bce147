import { CommandRegistry } from '../core/commands.js'
import { adminCommands } from './admin.js'
import { helpCommand } from './help.js'
import { meetingCommand } from './meeting.js'
import type { Services } from './services.js'

export type { Services }

/** Every command the bot knows, in the order help lists them. */
export function createRegistry(): CommandRegistry<Services> {
  return new CommandRegistry<Services>([meetingCommand, helpCommand, ...adminCommands])
}
