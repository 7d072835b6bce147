import { join } from 'node:path'
import Database from 'better-sqlite3'
import { KeyFilter } from './key-filter.js'
import type { Keyspace } from './keyspaces.js'
import { MemoryStore } from './memory.js'
import { DATA_FILE, DataFileError, describe, WriterThread } from './sqlite-file.js'
import type { Store } from './store.js'

export { DATA_FILE, DataFileError } from './sqlite-file.js'

const NEVER = Number.MAX_SAFE_INTEGER
/** Entries that expire sooner are not worth a write: after a restart they would be gone anyway. */
export const PERSIST_MIN_MS = 5 * 60_000
const FLUSH_EVERY_MS = 10
/**
 * Above every key that starts with a given prefix, in SQLite's byte order (UTF-8): no valid UTF-8
 * sequence starts above U+10FFFF's. `\uffff` would miss keys with characters beyond the BMP.
 */
const TOP = '\u{10ffff}'

/** How many entries the memory front holds; the file holds the rest. */
export const MEMORY_ENTRIES = 20_000

type Pending = { value: string; expiresAt: number } | null
type Row = { value: string; expiresAt: number }

export interface SqliteStoreOptions {
  readonly clock?: () => number
  readonly memoryEntries?: number
}

/** The commit of one batch, for whoever waits for it (a prefix delete). */
class Commit {
  resolve: () => void = () => undefined
  reject: (err: Error) => void = () => undefined
  readonly promise = new Promise<void>((resolve, reject) => {
    this.resolve = resolve
    this.reject = reject
  })
}

/** Crashes the process: a store that cannot write can no longer keep its promise of durability. */
function fail(file: string, err: unknown): void {
  setImmediate(() => {
    throw new DataFileError(file, describe(err), { cause: err })
  })
}

/**
 * The embedded store: one SQLite file under `DATA_DIR`. Per-conversation settings, the
 * de-duplication ledger, caches and usage survive restarts. A corrupt or unwritable file is a
 * start-up error, never silently replaced.
 *
 * A bounded memory front answers; the file keeps. Operations run on memory (a miss looks in the
 * file once, through a read-only connection); changes go to a writer thread (sqlite-writer.ts),
 * the only code that writes the file, in one transaction every few milliseconds (measured: ~130 µs
 * of synchronous SQLite work per message when the event loop wrote, a few µs since). Only what
 * outlives a restart is written: entries without a TTL or with one of at least `PERSIST_MIN_MS`
 * (settings, answered message ids, usage, ended meetings); rate counters, leases and live caches
 * stay in memory. A crash loses at most the last batch. Open it with `SqliteStore.open`.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  private readonly memory: MemoryStore
  private readonly stmt: Record<'one' | 'keys' | 'range', Database.Statement>
  private readonly clock: () => number
  /** Changes not yet sent to the writer. */
  private pending = new Map<string, Pending>()
  /** Set while someone waits for the commit of `pending`: that batch goes on the next turn of the loop. */
  private commit: Commit | undefined
  /** Batches the writer has not committed yet, oldest first: reads look here before the file. */
  private readonly inflight = new Set<Map<string, Pending>>()
  /** Every key that may have a row in the file: a miss anywhere else needs no read. */
  private readonly inFile = new KeyFilter()
  private flushTimer: NodeJS.Timeout | undefined
  private flushSoon: NodeJS.Immediate | undefined
  private readonly purgeTimer: NodeJS.Timeout
  private closed = false

  private constructor(
    private readonly file: string,
    private readonly db: Database.Database,
    private readonly writer: WriterThread,
    opts: SqliteStoreOptions,
  ) {
    this.clock = opts.clock ?? Date.now
    this.stmt = {
      one: db.prepare('SELECT value, expires_at AS expiresAt FROM kv WHERE key = ? AND expires_at > ?'),
      keys: db.prepare('SELECT key FROM kv').pluck(),
      range: db.prepare('SELECT key FROM kv WHERE key >= ? AND key < ? AND expires_at > ?').pluck(),
    }
    this.memory = new MemoryStore({ clock: this.clock, maxEntries: opts.memoryEntries ?? MEMORY_ENTRIES })
    this.fillFilter()
    this.purgeTimer = setInterval(() => this.purge().catch((err) => fail(file, err)), 60_000)
    this.purgeTimer.unref()
  }

  /**
   * Opens (or creates) `dir/meeting-bot.sqlite`: resolves once the writer thread has checked the
   * file and proved it writable; a `DataFileError` otherwise, with the file left as it was.
   */
  static async open(dir: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const file = join(dir, DATA_FILE)
    const writer = await WriterThread.start(dir, file, (err) => fail(file, err))
    let db: Database.Database
    try {
      db = new Database(file, { readonly: true, fileMustExist: true })
    } catch (err) {
      await writer.close()
      throw new DataFileError(file, describe(err), { cause: err })
    }
    return new SqliteStore(file, db, writer, opts)
  }

  /** TODO(keyspaces): read the declarations. */
  declare(_spaces: readonly Keyspace[]): void {}

  private fillFilter(): void {
    this.inFile.reset()
    for (const key of this.stmt.keys.iterate() as Iterable<string>) this.inFile.add(key)
    for (const batch of [...this.inflight, this.pending]) {
      for (const [key, row] of batch) if (row) this.inFile.add(key)
    }
  }

  /** Drops expired rows from the file (on the writer thread); memory never answers with them anyway. */
  purge(): Promise<number> {
    return new Promise((resolve, reject) =>
      this.writer.send({ purge: this.clock() }, (err, n) => {
        if (err) return reject(err)
        // The filter only grows; rebuild it from what is left once it holds more than it was made for.
        if (this.inFile.added > this.inFile.capacity) this.fillFilter()
        resolve(n)
      }),
    )
  }

  /** Sends everything changed so far to the writer, to be committed in one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.flushSoon !== undefined) clearImmediate(this.flushSoon)
    this.flushSoon = undefined
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
      fail(this.file, err)
    })
  }

  /** Resolves once the writer has committed everything sent to it. */
  written(): Promise<void> {
    return this.writer.idle()
  }

  /** The newest state of a key on its way to the file, if any. */
  private queuedFor(key: string): Pending | undefined {
    const p = this.pending.get(key)
    if (p !== undefined || this.inflight.size === 0) return p
    let found: Pending | undefined
    for (const batch of this.inflight) {
      const b = batch.get(key)
      if (b !== undefined) found = b
    }
    return found
  }

  /**
   * Brings a key the memory front does not hold (evicted, or from before a restart) back from the
   * file. The caller has just found the key missing in memory. True when it brought it back.
   */
  private load(key: string): boolean {
    // Every key queued with a value was added to the filter, so "certainly not" rules out the
    // queues and the file alike (most misses: new message ids, chats without settings).
    if (!this.inFile.mightHave(key)) return false
    const queued = this.queuedFor(key)
    if (queued === null) return false // deleted; the file catches up with the next batch
    const now = this.clock()
    const row = queued ?? (this.stmt.one.get(key, now) as Row | undefined)
    if (!row || row.expiresAt <= now) return false
    this.memory.setNow(key, row.value, row.expiresAt >= NEVER ? undefined : row.expiresAt - now)
    return true
  }

  /** Whether the key is live, from memory or brought back from the file. */
  private present(key: string): boolean {
    return this.memory.has(key) || this.load(key)
  }

  /** Decided by the TTL an operation asks for, not by what is left of it later. */
  private persistent(ttlMs: number | undefined): boolean {
    return ttlMs === undefined || ttlMs >= PERSIST_MIN_MS
  }

  /**
   * Queues the key's new state for the file: written when the operation asked for a long life
   * (`long`), else a delete when the file may hold an older row (`before`: the key was live).
   */
  private changed(key: string, long: boolean, before: boolean): void {
    const live = long ? this.memory.peek(key) : undefined
    if (live) this.queue(key, live.value, live.ttlMs)
    else if (before) this.queue(key, null)
  }

  private queue(key: string, value: string | null, ttlMs?: number): void {
    if (value === null) {
      this.pending.set(key, null)
    } else {
      this.pending.set(key, { value, expiresAt: ttlMs === undefined ? NEVER : this.clock() + ttlMs })
      this.inFile.add(key)
    }
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS)
  }

  /** The commit of the batch being gathered, sent on the next turn of the event loop. */
  private committed(): Promise<void> {
    if (this.commit === undefined) {
      this.commit = new Commit()
      this.flushSoon = setImmediate(() => this.flush())
    }
    return this.commit.promise
  }

  // Everything below runs synchronously on the memory front (a miss reads the file once): no
  // await inside, so no microtask per step; `async` only so that a failure is a rejection.

  async get(key: string): Promise<string | undefined> {
    const hit = this.memory.getNow(key)
    if (hit !== undefined || !this.load(key)) return hit
    return this.memory.getNow(key)
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const before = this.memory.setNow(key, value, ttlMs)
    if (this.persistent(ttlMs)) this.queue(key, value, ttlMs)
    // Now short-lived: an older row in the file (even one memory had dropped) must not come back.
    else if (before || this.inFile.mightHave(key)) this.queue(key, null)
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.present(key)) return false
    this.memory.insertNow(key, value, ttlMs)
    if (this.persistent(ttlMs)) this.queue(key, value, ttlMs)
    return true
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const before = this.present(key)
    const done = this.memory.compareAndSetNow(key, expected, value, ttlMs)
    if (done) this.changed(key, this.persistent(ttlMs), before)
    return done
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    const before = this.present(key)
    const done = this.memory.compareAndDeleteNow(key, expected)
    if (done) this.changed(key, false, before)
    return done
  }

  async delete(key: string): Promise<void> {
    this.memory.deleteNow(key)
    this.changed(key, false, true)
  }

  async deletePrefix(prefix: string): Promise<number> {
    // Rare (an admin's /cache clear): every key under the prefix, wherever it may be (memory, the
    // queues, the file), gets a delete in one batch; it resolves once that batch is committed.
    const now = this.clock()
    const inFile = new Set(this.stmt.range.all(prefix, prefix + TOP, now) as string[])
    const keys = new Set(inFile)
    for (const key of this.memory.keys()) if (key.startsWith(prefix)) keys.add(key)
    for (const batch of [...this.inflight, this.pending]) {
      for (const key of batch.keys()) if (key.startsWith(prefix)) keys.add(key)
    }
    let live = 0
    for (const key of keys) {
      const queued = this.queuedFor(key)
      const inQueueOrFile = queued === undefined ? inFile.has(key) : queued !== null && queued.expiresAt > now
      if (this.memory.has(key) || inQueueOrFile) live++
      this.memory.deleteNow(key)
      this.queue(key, null)
    }
    if (keys.size > 0) await this.committed()
    return live
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    let n = this.memory.incrementIfLive(key)
    if (n === undefined) {
      if (this.load(key)) {
        n = this.memory.incrementNow(key, ttlMs)
      } else {
        this.memory.insertNow(key, '1', ttlMs)
        n = 1
      }
    }
    // n > 1: the counter was live before (in memory or in the file).
    this.changed(key, this.persistent(ttlMs), n > 1)
    return n
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.flush()
    this.closed = true
    clearInterval(this.purgeTimer)
    await this.written()
    // The reader first: the writer's connection is then the last, and closing it checkpoints the WAL.
    this.db.close()
    await this.writer.close()
    await this.memory.close()
  }
}
