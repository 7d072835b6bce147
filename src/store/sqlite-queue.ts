import type { Committer, Pending } from './sqlite-db.js'
import { DataFileError, describe } from './sqlite-file.js'

export const NEVER = Number.MAX_SAFE_INTEGER
const FLUSH_EVERY_MS = 10

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
 * The changes of the SQLite store on their way to the file: gathered into a batch and committed
 * (synchronously, on this thread: sqlite-db.ts) within a few milliseconds (`behind`), or once the
 * current task is through (a `confirmed` change waits for that batch's commit). Until then a read
 * sees them rather than the file's older row.
 */
export class WriteQueue {
  /** Changes not yet committed. */
  private pending = new Map<string, Pending>()
  /** Set while `pending` holds a confirmed change. */
  private commit: Commit | undefined
  private flushTimer: NodeJS.Timeout | undefined
  /** A flush is queued for the end of the current task (a confirmed change is waiting). */
  private flushSoon = false
  private closed = false

  constructor(
    private readonly file: string,
    private readonly committer: Committer,
    private readonly clock: () => number,
    /** A batch that could not be committed: the store can no longer keep its promise. */
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
   * The commit of the batch being gathered: made once the current task and its microtasks are
   * through, so the confirmed changes of that moment (the frames of one socket read) share one
   * transaction, and whatever waits for it (their acks) goes out in the same task. Measured with
   * the crash suite: a commit a turn later meant more answers sent twice after a kill
   * (docs/reliability.md).
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

  /** Commits everything changed so far, in one transaction. */
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
    try {
      this.committer.commit(batch)
    } catch (err) {
      commit?.reject(new DataFileError(this.file, describe(err), { cause: err }))
      this.fail(err)
      return
    }
    commit?.resolve()
  }

  /** Commits what is left; later changes are refused (their commits reject). */
  close(): void {
    this.flush()
    this.closed = true
  }

  /** The newest state of a key on its way to the file, if any. */
  newest(key: string): Pending | undefined {
    return this.pending.get(key)
  }

  /** Every key queued (with a value or as a delete). */
  keys(): Iterable<string> {
    return this.pending.keys()
  }

  /** The keys queued with a value: they may have a row in the file soon. */
  *withValues(): Iterable<string> {
    for (const [key, row] of this.pending) if (row) yield key
  }
}
