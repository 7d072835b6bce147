import { type Config, ConfigError, loadConfig } from './config.js'
import { MeetingsFileError } from './emulator/meetings.js'
import { createLogger, type Logger } from './logger.js'
import { emulatorBanner, start } from './start.js'
import { StoreUnavailableError } from './store/redis.js'
import { DataFileError } from './store/sqlite.js'

/**
 * The entry point and composition root: the only place that reads `process.env`, and the owner
 * of shutdown (SIGTERM/SIGINT: stop intake, drain replies within a bound, exit 0).
 */
async function main(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`meeting-bot: ${err.message}\nEvery variable is described in .env.example.\n`)
    return 1
  }
  const log = createLogger(config.logLevel, undefined, { pretty: process.stdout.isTTY === true })
  let running: Awaited<ReturnType<typeof start>>
  try {
    running = await start(config, log)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      const { address, port } = err as { address?: string; port?: number }
      process.stderr.write(
        `meeting-bot: ${address}:${port} is already in use; stop the other process or set PORT (EMULATOR_PORT for the emulator).\n`,
      )
      return 1
    }
    const known = [MeetingsFileError, DataFileError, StoreUnavailableError]
    if (!known.some((kind) => err instanceof kind)) throw err
    process.stderr.write(`meeting-bot: ${(err as Error).message}\n`)
    return 1
  }
  if (running.emulator) process.stdout.write(emulatorBanner(running))
  installShutdown(log, () => running.stop())
  return undefined
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

main(process.env).then(
  (code) => {
    if (code !== undefined) process.exit(code)
  },
  (err: unknown) => {
    process.stderr.write(`meeting-bot failed to start: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
