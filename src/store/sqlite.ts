import { accessSync, constants, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { KeyFilter } from './key-filter.js'
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
  private readonly stmt: Record<'upsert' | 'del' | 'delPrefix' | 'purge' | 'one' | 'keys', Database.Statement>
  private readonly writeAll: (batch: Map<string, Pending>) => void
  private pending = new Map<string, Pending>()
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
      upsert: this.db.prepare('INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      delPrefix: this.db.prepare('DELETE FROM kv WHERE key >= ? AND key < ?'),
      purge: this.db.prepare('DELETE FROM kv WHERE expires_at <= ?'),
      one: this.db.prepare('SELECT value, expires_at AS expiresAt FROM kv WHERE key = ? AND expires_at > ?'),
      keys: this.db.prepare('SELECT key FROM kv').pluck(),
    }
    this.writeAll = this.db.transaction((batch: Map<string, Pending>) => {
      for (const [key, row] of batch) {
        if (row) this.stmt.upsert.run(key, row.value, row.expiresAt)
        else this.stmt.del.run(key)
      }
    })
    this.memory = new MemoryStore({ clock, maxEntries: memoryEntries })
    this.fillFilter()
    this.purgeTimer = setInterval(() => this.purge(), 60_000)
    this.purgeTimer.unref()
  }

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

  /** Writes everything changed so far, in one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.pending.size === 0 || this.closed) return
    const batch = this.pending
    this.pending = new Map()
    this.writeAll(batch)
  }

  /**
   * Brings a key the memory front does not hold (evicted, or from before a restart) back from the
   * file. The caller has just found the key missing in memory. True when it brought it back.
   */
  private load(key: string): boolean {
    const queued = this.pending.get(key)
    if (queued === undefined && !this.inFile.mightHave(key)) return false
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
    if (live) {
      const expiresAt = live.ttlMs === undefined ? NEVER : this.clock() + live.ttlMs
      this.pending.set(key, { value: live.value, expiresAt })
      this.inFile.add(key)
    } else if (before) {
      this.pending.set(key, null)
    } else {
      return
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
    const before = this.memory.has(key)
    this.memory.setNow(key, value, ttlMs)
    this.changed(key, this.persistent(ttlMs), before)
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.present(key)) return false
    this.memory.setNow(key, value, ttlMs)
    this.changed(key, this.persistent(ttlMs), false)
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
    const before = this.present(key)
    const n = this.memory.incrementNow(key, ttlMs)
    this.changed(key, this.persistent(ttlMs), before)
    return n
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.flush()
    this.closed = true
    clearInterval(this.purgeTimer)
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
