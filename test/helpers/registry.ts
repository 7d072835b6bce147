import { createApp } from '../../src/app/index.js'
import { loadConfig } from '../../src/config.js'
import type { CommandRegistry } from '../../src/core/commands.js'
import { createLogger } from '../../src/logger.js'
import { MemoryStore } from '../../src/store/memory.js'

/** The registry the bot routes with: every feature's commands, as the real composition root wires them. */
export async function productionRegistry(t: { teardown(fn: () => unknown): void }): Promise<CommandRegistry> {
  const app = await createApp({
    config: loadConfig({
      DINGTALK_CLIENT_ID: 'registry',
      DINGTALK_CLIENT_SECRET: 'test',
      DINGTALK_TRANSPORTS: 'http',
    }),
    log: createLogger('silent'),
    store: new MemoryStore(),
  })
  t.teardown(() => app.stop())
  return app.registry
}
