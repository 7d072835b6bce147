import { accessSync, constants, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { KeyFilter } from './key-filter.js'
import type { Keyspace } from './keyspaces.js'
import { MemoryStore } from './memory.js'
import type { Store } from './store.js'

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
const NEVER = Number.MAX_SAFE_INTEGER
/** Entries that expire sooner are not worth a write: after a restart they would be gone anyway. */
export const PERSIST_MIN_MS = 5 * 60_000
const FLUSH_EVERY_MS = 10

type Pending = { value: string; expiresAt: number } | null

/**
 * The writer thread: its own connection to the file, one transaction per batch. Plain CommonJS
 * evaluated as a worker, so it runs the same under tsx, tap and the built bot; the driver's path
 * comes from the main thread. Batches are flat `[key, value | null (delete), expiresAt, ...]`.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file)
db.pragma('synchronous = NORMAL')
const upsert = db.prepare('INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)')
const del = db.prepare('DELETE FROM kv WHERE key = ?')
const writeAll = db.transaction((rows) => {
  for (let i = 0; i < rows.length; i += 3) {
    if (rows[i + 1] === null) del.run(rows[i])
    else upsert.run(rows[i], rows[i + 1], rows[i + 2])
  }
})
parentPort.on('message', (m) => {
  if (m.close) {
    db.close()
    parentPort.postMessage({ closed: true })
    return
  }
  try {
    writeAll(JSON.parse(m.rows))
    parentPort.postMessage({ seq: m.seq })
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err), code: err && err.code })
  }
})
`
const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3')
type Row = { value: string; expiresAt: number }

/** How many entries the memory front holds; the file holds the rest. */
export const MEMORY_ENTRIES = 20_000

/**
 * The embedded store: one SQLite file under `DATA_DIR`. Per-conversation settings, the
 * de-duplication ledger, caches and usage survive restarts. A corrupt or unwritable file is a
 * start-up error, never silently replaced.
 *
 * A bounded memory front answers; the file keeps. Operations run on memory (a miss looks in the
 * file once), and changes are written behind in one transaction every few milliseconds (measured:
 * ~130 µs of synchronous SQLite work per message before, a few µs after). Only what outlives a
 * restart is written: entries without a TTL or with one of at least `PERSIST_MIN_MS` (settings,
 * answered message ids, usage, ended meetings); rate counters, leases and live caches stay in
 * memory. SQLite is a single-process store anyway; a crash loses at most the last batch.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  private readonly db: Database.Database
  private readonly memory: MemoryStore
  private readonly stmt: Record<'delPrefix' | 'purge' | 'one' | 'keys', Database.Statement>
  private readonly writer: Worker
  /** Changes not yet sent to the writer. */
  private pending = new Map<string, Pending>()
  /** Batches the writer has not committed yet, by sequence number: reads look here before the file. */
  private readonly inflight = new Map<number, Map<string, Pending>>()
  private seq = 0
  private idleWaiters: Array<() => void> = []
  private writerClosed: (() => void) | undefined
  private writerGone = false
  private readonly file: string
  /** Every key that may have a row in the file: a miss anywhere else needs no read. */
  private readonly inFile = new KeyFilter()
  private flushTimer: NodeJS.Timeout | undefined
  private readonly purgeTimer: NodeJS.Timeout
  private closed = false

  constructor(
    dir: string,
    private readonly clock: () => number = Date.now,
    memoryEntries = MEMORY_ENTRIES,
  ) {
    const file = join(dir, DATA_FILE)
    this.file = file
    try {
      mkdirSync(dir, { recursive: true })
      accessSync(dir, constants.W_OK)
    } catch (err) {
      throw new DataFileError(
        file,
        `directory ${dir} is not writable (${(err as NodeJS.ErrnoException).code})`,
        { cause: err },
      )
    }
    try {
      this.db = new Database(file)
      const check = this.db.pragma('quick_check', { simple: true })
      if (check !== 'ok') throw new Error(`integrity check says: ${String(check)}`)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID',
      )
      this.db.exec('CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at)')
      // A throwaway write proves the file is writable now, not at the first message.
      this.db.exec(
        "INSERT OR REPLACE INTO kv VALUES ('store:probe', '1', 0); DELETE FROM kv WHERE key = 'store:probe'",
      )
    } catch (err) {
      throw new DataFileError(file, describe(err), { cause: err })
    }
    this.stmt = {
      delPrefix: this.db.prepare('DELETE FROM kv WHERE key >= ? AND key < ?'),
      purge: this.db.prepare('DELETE FROM kv WHERE expires_at <= ?'),
      one: this.db.prepare('SELECT value, expires_at AS expiresAt FROM kv WHERE key = ? AND expires_at > ?'),
      keys: this.db.prepare('SELECT key FROM kv').pluck(),
    }
    // Writes go to their own thread: a commit, and now and then a WAL checkpoint that fsyncs,
    // never holds up the event loop (measured: ~14 µs of SQLite per answered message in the HTTP
    // benchmark, checkpoints up to 40 ms).
    this.writer = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: { file, driver: DRIVER },
      execArgv: [],
    })
    this.writer.unref()
    // A failed write fails the process, as a failed synchronous write did: it cannot keep its
    // promise of durability.
    this.writer.on('message', (m: { seq?: number; error?: string; code?: string; closed?: boolean }) => {
      if (m.closed) return this.writerClosed?.()
      this.inflight.delete(m.seq as number)
      if (m.error) this.fail(Object.assign(new Error(m.error), { code: m.code }))
      if (this.inflight.size === 0) this.settled()
    })
    this.writer.on('error', (err) => this.fail(err))
    // Gone (crashed or terminated): nobody may wait for it any more.
    this.writer.on('exit', () => {
      this.writerGone = true
      this.inflight.clear()
      this.settled()
      this.writerClosed?.()
    })
    this.memory = new MemoryStore({ clock, maxEntries: memoryEntries })
    this.fillFilter()
    this.purgeTimer = setInterval(() => this.purge(), 60_000)
    this.purgeTimer.unref()
  }

  /** TODO(keyspaces): read the declarations. */
  declare(_spaces: readonly Keyspace[]): void {}

  private fillFilter(): void {
    this.inFile.reset()
    for (const key of this.stmt.keys.iterate() as Iterable<string>) this.inFile.add(key)
  }

  /** Drops expired rows from the file; memory never answers with them anyway. */
  purge(): number {
    this.flush()
    const n = this.stmt.purge.run(this.clock()).changes
    // The filter only grows; rebuild it from what is left once it holds more than it was made for.
    if (this.inFile.added > this.inFile.capacity) this.fillFilter()
    return n
  }

  private fail(err: unknown): void {
    setImmediate(() => {
      throw new DataFileError(this.file, describe(err), { cause: err })
    })
  }

  /** Sends everything changed so far to the writer, to be committed in one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.pending.size === 0 || this.closed) return
    if (this.writerGone) {
      this.fail(new Error('the SQLite writer thread has stopped'))
      return
    }
    const batch = this.pending
    this.pending = new Map()
    const rows: Array<string | number | null> = []
    for (const [key, row] of batch) rows.push(key, row ? row.value : null, row ? row.expiresAt : 0)
    const seq = ++this.seq
    this.inflight.set(seq, batch)
    // Held open while a batch is on its way: a shutdown waits for it (see close).
    this.writer.ref()
    // One string crosses threads more cheaply than an array of them (structured clone per item).
    this.writer.postMessage({ seq, rows: JSON.stringify(rows) })
  }

  /** Resolves once the writer has committed everything sent to it. */
  written(): Promise<void> {
    if (this.inflight.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private settled(): void {
    this.writer.unref()
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  /** The newest state of a key on its way to the file, if any. */
  private queuedFor(key: string): Pending | undefined {
    const p = this.pending.get(key)
    if (p !== undefined || this.inflight.size === 0) return p
    let found: Pending | undefined
    for (const batch of this.inflight.values()) {
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
    // queues and the file alike (most misses: new message ids, rate counters, chats without settings).
    if (!this.inFile.mightHave(key)) return false
    const queued = this.queuedFor(key)
    if (queued === null) return false // deleted; the file catches up with the next batch
    const now = this.clock()
    const row = queued ?? (this.stmt.one.get(key, now) as Row | undefined)
    if (!row) return false
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
    // Rare (an admin's /cache clear): count what is live in either place, then delete in both.
    this.flush()
    await this.written()
    const now = this.clock()
    const inFile = (
      this.db
        .prepare('SELECT key FROM kv WHERE key >= ? AND key < ? AND expires_at > ?')
        .all(prefix, `${prefix}\uffff`, now) as Array<{ key: string }>
    ).map((r) => r.key)
    const inMemory = this.memory.keys().filter((k) => k.startsWith(prefix))
    await this.memory.deletePrefix(prefix)
    // Range scan on the primary key: every key starting with `prefix` sorts below prefix + U+FFFF.
    this.stmt.delPrefix.run(prefix, `${prefix}\uffff`)
    return new Set([...inFile, ...inMemory]).size
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
    if (!this.writerGone) {
      this.writer.ref()
      await new Promise<void>((resolve) => {
        this.writerClosed = resolve
        this.writer.postMessage({ close: true })
      })
    }
    await this.writer.terminate()
    this.db.close()
    await this.memory.close()
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return 'is corrupt or not a meeting-bot database; move it away (it is kept for inspection) and start again'
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return `cannot be opened for writing (${code})`
  }
  return (err as Error).message
}
