import { createApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { createLogger, type Logger } from './logger.js'

/**
 * The composition root: the only place that reads `process.env`, listens, and owns shutdown.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`meeting-bot: ${err.message}\nSee .env.example for every variable.\n`)
    process.exitCode = 1
    return
  }
  const log = createLogger(config.logLevel)
  const app = createApp({ config, log })
  await app.server.listen({ host: config.host, port: config.port })
  log.info({ transports: config.transports, mode: config.mode }, 'meeting-bot started')
  installShutdown(log, () => app.stop())
}

function installShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down: no new messages, finishing replies in flight')
    stop().then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

main().catch((err: unknown) => {
  process.stderr.write(`meeting-bot failed to start: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
