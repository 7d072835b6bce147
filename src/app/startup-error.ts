import { ConfigError } from '../config.js'
import { MeetingsFileError } from '../emulator/meetings.js'
import { StoreUnavailableError } from '../store/redis.js'
import { DataFileError } from '../store/sqlite.js'

/**
 * The bot cannot start, for a reason the operator can fix: bad configuration, a data file that is
 * not ours, Redis away, a port in use. `main` prints the message (no stack) and exits with the code.
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StartupError'
  }
}

/** The operator-fixable failures of start-up as a `StartupError`; anything else is a bug (undefined). */
export function startupError(err: unknown): StartupError | undefined {
  if (err instanceof StartupError) return err
  if (err instanceof ConfigError) {
    return new StartupError(`${err.message}\nEvery variable is described in .env.example.`, 1, { cause: err })
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EADDRINUSE') {
    const { address, port } = err as { address?: string; port?: number }
    return new StartupError(
      `${address}:${port} is already in use; stop the other process or set PORT (EMULATOR_PORT for the emulator).`,
      1,
      { cause: err },
    )
  }
  const known = [MeetingsFileError, DataFileError, StoreUnavailableError]
  if (known.some((kind) => err instanceof kind))
    return new StartupError((err as Error).message, 1, { cause: err })
  return undefined
}
