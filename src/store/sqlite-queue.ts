import { DataFileError, describe, type WriterThread } from './sqlite-file.js'

export const NEVER = Number.MAX_SAFE_INTEGER
const FLUSH_EVERY_MS = 10

/** A key's newest state on its way to the file: a row, or `null` for a delete. */
export type Pending = { value: string; expiresAt: number } | null

/** The commit of one batch, which every confirmed change in it waits for. */
class Commit {
  resolve: () => void = () => undefined
  reject: (err: Error) => void = () => undefined
  readonly promise = new Promise<void>((resolve, reject) => {
    this.resolve = resolve
    this.reject = reject
  })
}

/**
 * The changes of the SQLite store on their way to its writer thread: gathered into a batch, sent
 * within a few milliseconds (`behind`) or once the current task is through (a `confirmed` change
 * waits for that batch's commit), and kept until the writer has committed them, so that a read in
 * the meantime sees them rather than the file's older row.
 */
export class WriteQueue {
  /** Changes not yet sent to the writer. */
  private pending = new Map<string, Pending>()
  /** Set while `pending` holds a confirmed change. */
  private commit: Commit | undefined
  /** Batches the writer has not committed yet, oldest first. */
  private readonly inflight = new Set<Map<string, Pending>>()
  private flushTimer: NodeJS.Timeout | undefined
  /** A flush is queued for the end of the current task (a confirmed change is waiting). */
  private flushSoon = false
  private closed = false

  constructor(
    private readonly file: string,
    private readonly writer: WriterThread,
    private readonly clock: () => number,
    /** A batch the writer could not commit: the store can no longer keep its promise. */
    private readonly fail: (err: unknown) => void,
  ) {}

  /** Queues a change; `ttlMs` undefined means it never expires. */
  put(key: string, value: string | null, ttlMs?: number): void {
    this.pending.set(
      key,
      value === null ? null : { value, expiresAt: ttlMs === undefined ? NEVER : this.clock() + ttlMs },
    )
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS)
  }

  /**
   * The commit of the batch being gathered: sent once the current task and its microtasks are
   * through, so the confirmed changes of that moment (the frames of one socket read) share one
   * transaction and none waits for the rest of the event loop's turn; the writer commits the
   * batches that reach it together (group commit, sqlite-writer.ts). Measured with the crash
   * suite: a commit a turn later meant more answers sent twice after a kill (docs/reliability.md).
   */
  committed(): Promise<void> {
    if (this.commit === undefined) {
      this.commit = new Commit()
      if (!this.flushSoon) {
        this.flushSoon = true
        queueMicrotask(() => {
          this.flushSoon = false
          this.flush()
        })
      }
    }
    return this.commit.promise
  }

  /** Sends everything changed so far to the writer, to be committed in one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.pending.size === 0) return
    const batch = this.pending
    const commit = this.commit
    this.pending = new Map()
    this.commit = undefined
    if (this.closed) {
      commit?.reject(new Error('the SQLite store is closed'))
      return
    }
    const rows: Array<string | number | null> = []
    for (const [key, row] of batch) rows.push(key, row ? row.value : null, row ? row.expiresAt : 0)
    this.inflight.add(batch)
    this.writer.send({ rows: JSON.stringify(rows) }, (err) => {
      this.inflight.delete(batch)
      if (!err) return commit?.resolve()
      commit?.reject(new DataFileError(this.file, describe(err), { cause: err }))
      this.fail(err)
    })
  }

  /** Sends what is left; later changes are refused (their commits reject). */
  close(): void {
    this.flush()
    this.closed = true
  }

  /** The newest state of a key on its way to the file, if any. */
  newest(key: string): Pending | undefined {
    const p = this.pending.get(key)
    if (p !== undefined || this.inflight.size === 0) return p
    let found: Pending | undefined
    for (const batch of this.inflight) {
      const b = batch.get(key)
      if (b !== undefined) found = b
    }
    return found
  }

  /** Every key queued (with a value or as a delete), oldest batch first. */
  *keys(): Iterable<string> {
    for (const batch of [...this.inflight, this.pending]) yield* batch.keys()
  }

  /** The keys queued with a value: they may have a row in the file soon. */
  *withValues(): Iterable<string> {
    for (const batch of [...this.inflight, this.pending]) {
      for (const [key, row] of batch) if (row) yield key
    }
  }
}
