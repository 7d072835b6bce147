import { Worker } from 'node:worker_threads'

export class DataFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`data file ${file}: ${problem}`, options)
    this.name = 'DataFileError'
  }
}

export const DATA_FILE = 'meeting-bot.sqlite'

/** What the checkpoint thread is started with. */
export interface CheckpointerData {
  readonly file: string
  /** A PASSIVE checkpoint this often. */
  readonly everyMs: number
  /** A WAL longer than this after a passive checkpoint that could not finish: a RESTART one. */
  readonly maxWalPages: number
}

/** From the checkpoint thread: whether it could open the file, and that it closed. */
export type FromCheckpointer =
  | { readonly ready: true }
  | { readonly ready: false; readonly error: string }
  | { readonly closed: true }

/** A passive checkpoint every second; a WAL of 16,384 pages (64 MiB at 4 KiB) is restarted. */
export const CHECKPOINT_EVERY_MS = 1000
export const MAX_WAL_PAGES = 16_384

// The same extension as this module: `.ts` from the sources (tsx, tap), `.js` from the build.
const ENTRY = new URL(
  `./sqlite-checkpointer${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
  import.meta.url,
)

function spawn(data: CheckpointerData): Worker {
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, { workerData: data })
  // From the sources. Node 20 does not apply `--import tsx` in a worker's execArgv to the worker's
  // own entry module (ERR_UNKNOWN_FILE_EXTENSION), so the worker registers tsx, then imports it.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}) })`
  return new Worker(boot, { eval: true, workerData: data, execArgv: [] })
}

/**
 * The main thread's side of the checkpoint thread (sqlite-checkpointer.ts). Unref'd: it never
 * holds the process open. Its connection is closed last, so closing it checkpoints the WAL away.
 */
export class Checkpointer {
  private gone = false

  private constructor(
    private readonly worker: Worker,
    onError: (err: Error) => void,
  ) {
    worker.unref()
    worker.on('error', onError)
    worker.once('exit', () => {
      this.gone = true
    })
  }

  /** Starts the thread on a file that exists; a `DataFileError` when it cannot open it. */
  static start(
    file: string,
    onError: (err: Error) => void,
    opts: Partial<Omit<CheckpointerData, 'file'>> = {},
  ): Promise<Checkpointer> {
    const worker = spawn({
      file,
      everyMs: opts.everyMs ?? CHECKPOINT_EVERY_MS,
      maxWalPages: opts.maxWalPages ?? MAX_WAL_PAGES,
    })
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit)
        if (!err) return resolve(new Checkpointer(worker, onError))
        void worker.terminate()
        reject(err)
      }
      const onMessage = (m: FromCheckpointer) => {
        if (!('ready' in m)) return
        done(
          m.ready ? undefined : new DataFileError(file, `the checkpoint thread cannot open it: ${m.error}`),
        )
      }
      const onError = (err: Error) =>
        done(new DataFileError(file, `the checkpoint thread failed: ${err.message}`, { cause: err }))
      const onExit = (code: number) =>
        done(new DataFileError(file, `the checkpoint thread stopped (${code}) before the file was open`))
      worker.on('message', onMessage).on('error', onError).on('exit', onExit)
    })
  }

  /** Closes the thread's connection (checkpointing the WAL away if it is the last), then the thread. */
  async close(): Promise<void> {
    if (this.gone) return
    this.worker.ref()
    await new Promise<void>((resolve) => {
      const closed = (m: FromCheckpointer) => {
        if ('closed' in m) resolve()
      }
      this.worker.on('message', closed).once('exit', () => resolve())
      this.worker.postMessage({ close: true })
    })
    await this.worker.terminate()
  }

  /** For tests: the thread stops as if it had crashed. */
  terminate(): Promise<number> {
    return this.worker.terminate()
  }
}

export function describe(err: unknown): string {
  const code = (err as { code?: string }).code
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return 'is corrupt or not a meeting-bot database; move it away (it is kept for inspection) and start again'
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return `cannot be opened for writing (${code})`
  }
  return (err as Error).message
}
