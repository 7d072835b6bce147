import { type Running, run } from './app/runtime.js'
import { StartupError } from './app/startup-error.js'

/**
 * The process: the only place that reads `process.env` and the owner of shutdown (SIGTERM/SIGINT:
 * stop intake, drain replies within a bound, exit 0). A `StartupError` is the operator's to fix:
 * its message and exit code; anything else is a bug: the stack.
 */
function installShutdown(running: Running): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    running.log.info({ signal }, 'shutting down: no new messages, finishing replies in flight')
    running.stop().then(
      () => {
        running.log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        running.log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

run(process.env).then(installShutdown, (err: unknown) => {
  if (err instanceof StartupError) {
    process.stderr.write(`meeting-bot: ${err.message}\n`)
    process.exit(err.exitCode)
  }
  process.stderr.write(`meeting-bot failed to start: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
