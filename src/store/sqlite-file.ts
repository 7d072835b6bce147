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

/** What the writer thread is started with. */
export interface WriterData {
  readonly dir: string
  readonly file: string
}

/** To the writer: a batch (flat `[key, value | null (delete), expiresAt, ...]` as JSON), a purge, or close. */
export type ToWriter =
  | { readonly seq: number; readonly rows: string }
  | { readonly seq: number; readonly purge: number }
  | { readonly close: true }

/** From the writer: whether it could open the file, then one answer per message, in order. */
export type FromWriter =
  | { readonly ready: true }
  | { readonly ready: false; readonly directory?: boolean; readonly error: string; readonly code?: string }
  | { readonly seq: number; readonly changes: number; readonly error?: undefined }
  | { readonly seq: number; readonly error: string; readonly code?: string }
  | { readonly closed: true }

/** Called once per message: with the rows it changed, or with why it did not commit. */
export type Answer = (err: Error | undefined, changes: number) => void

// The same extension as this module: `.ts` from the sources (tsx, tap), `.js` from the build.
const WRITER = new URL(
  `./sqlite-writer${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
  import.meta.url,
)

function spawn(data: WriterData): Worker {
  if (!WRITER.pathname.endsWith('.ts')) return new Worker(WRITER, { workerData: data })
  // From the sources. Node 20 does not apply `--import tsx` in a worker's execArgv to the worker's
  // own entry module (ERR_UNKNOWN_FILE_EXTENSION), so the worker registers tsx, then imports it.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WRITER.href)}) })`
  return new Worker(boot, { eval: true, workerData: data, execArgv: [] })
}

/**
 * The main thread's side of the writer thread: starts it, numbers what it sends, routes each
 * answer to whoever waits for it. Kept unref'd while idle, so an idle store does not hold the
 * process open; ref'd while a message is on its way, so a shutdown waits for it.
 */
export class WriterThread {
  private seq = 0
  private readonly answers = new Map<number, Answer>()
  private idleWaiters: Array<() => void> = []
  private onClosed: (() => void) | undefined
  /** Crashed, terminated or closed: nothing sent to it will be answered. */
  gone = false

  private constructor(
    private readonly worker: Worker,
    onError: (err: Error) => void,
  ) {
    worker.unref()
    worker.on('message', (m: FromWriter) => {
      if ('closed' in m) return this.onClosed?.()
      if (!('seq' in m)) return
      const answer = this.answers.get(m.seq)
      this.answers.delete(m.seq)
      if (m.error === undefined) answer?.(undefined, m.changes)
      else answer?.(writeError(m.error, m.code), 0)
      if (this.answers.size === 0) this.settled()
    })
    worker.on('error', (err) => onError(err))
    worker.on('exit', () => {
      this.gone = true
      const stopped = new Error('the SQLite writer thread has stopped')
      for (const answer of this.answers.values()) answer(stopped, 0)
      this.answers.clear()
      this.settled()
      this.onClosed?.()
    })
  }

  /**
   * Starts the writer and waits until it has created (or checked) the file and proved it
   * writable: a `DataFileError` otherwise, with the file left as it was.
   */
  static start(dir: string, file: string, onError: (err: Error) => void): Promise<WriterThread> {
    const worker = spawn({ dir, file })
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit)
        if (!err) return resolve(new WriterThread(worker, onError))
        void worker.terminate()
        reject(err)
      }
      const onMessage = (m: FromWriter) => {
        if (!('ready' in m)) return
        if (m.ready) return done()
        const cause = writeError(m.error, m.code)
        const problem = m.directory ? `directory ${dir} is not writable (${m.code})` : describe(cause)
        done(new DataFileError(file, problem, { cause }))
      }
      const onError = (err: Error) =>
        done(new DataFileError(file, `the SQLite writer thread failed: ${err.message}`, { cause: err }))
      const onExit = (code: number) =>
        done(new DataFileError(file, `the SQLite writer thread stopped (${code}) before the file was open`))
      worker.on('message', onMessage).on('error', onError).on('exit', onExit)
    })
  }

  /** Sends a batch or a purge; `answer` hears how it went. Never after the writer is gone. */
  send(message: { rows: string } | { purge: number }, answer: Answer): void {
    if (this.gone) {
      answer(new Error('the SQLite writer thread has stopped'), 0)
      return
    }
    const seq = ++this.seq
    this.answers.set(seq, answer)
    this.worker.ref()
    // One string crosses threads more cheaply than an array of them (structured clone per item).
    this.worker.postMessage({ seq, ...message } satisfies ToWriter)
  }

  /** Resolves once everything sent so far has been answered. */
  idle(): Promise<void> {
    if (this.answers.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private settled(): void {
    this.worker.unref()
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  /** Closes the writer's connection (the last one: it checkpoints the WAL away), then the thread. */
  async close(): Promise<void> {
    if (!this.gone) {
      this.worker.ref()
      await new Promise<void>((resolve) => {
        this.onClosed = resolve
        this.worker.postMessage({ close: true } satisfies ToWriter)
      })
    }
    await this.worker.terminate()
  }

  /** For tests: the thread stops as if it had crashed. */
  terminate(): Promise<number> {
    return this.worker.terminate()
  }
}

function writeError(message: string, code: string | undefined): Error {
  return Object.assign(new Error(message), { code })
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
