import { accessSync, constants, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
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

/**
 * The embedded store: one SQLite file under `DATA_DIR` (WAL, so reads never wait for writes).
 * Per-conversation settings, the de-duplication ledger and caches survive restarts. A corrupt or
 * unwritable file is a start-up error, never silently replaced.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  private readonly db: Database.Database
  private readonly stmt: Record<
    'get' | 'set' | 'insert' | 'cas' | 'cad' | 'del' | 'delPrefix' | 'incr' | 'purge',
    Database.Statement
  >
  private readonly purgeTimer: NodeJS.Timeout
  private closed = false

  constructor(
    dir: string,
    private readonly clock: () => number = Date.now,
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
      get: this.db.prepare('SELECT value FROM kv WHERE key = ? AND expires_at > ?'),
      set: this.db.prepare('INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)'),
      insert: this.db.prepare(
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at <= ?',
      ),
      cas: this.db.prepare(
        'UPDATE kv SET value = ?, expires_at = ? WHERE key = ? AND value = ? AND expires_at > ?',
      ),
      cad: this.db.prepare('DELETE FROM kv WHERE key = ? AND value = ? AND expires_at > ?'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      delPrefix: this.db.prepare('DELETE FROM kv WHERE key >= ? AND key < ? AND expires_at > ?'),
      incr: this.db.prepare(
        "INSERT INTO kv (key, value, expires_at) VALUES (?, '1', ?) ON CONFLICT (key) DO UPDATE SET value = CASE WHEN kv.expires_at <= ? THEN '1' ELSE CAST(kv.value AS INTEGER) + 1 END, expires_at = CASE WHEN kv.expires_at <= ? THEN excluded.expires_at ELSE kv.expires_at END RETURNING value",
      ),
      purge: this.db.prepare('DELETE FROM kv WHERE expires_at <= ?'),
    }
    this.purgeTimer = setInterval(() => this.purge(), 60_000)
    this.purgeTimer.unref()
  }

  /** Drops expired rows; the queries ignore them anyway, this keeps the file small. */
  purge(): number {
    return this.stmt.purge.run(this.clock()).changes
  }

  async get(key: string): Promise<string | undefined> {
    return (this.stmt.get.get(key, this.clock()) as { value: string } | undefined)?.value
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.stmt.set.run(key, value, ttlMs === undefined ? NEVER : this.clock() + ttlMs)
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const now = this.clock()
    return this.stmt.insert.run(key, value, now + ttlMs, now).changes === 1
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const now = this.clock()
    const expiresAt = ttlMs === undefined ? NEVER : now + ttlMs
    return this.stmt.cas.run(value, expiresAt, key, expected, now).changes === 1
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.stmt.cad.run(key, expected, this.clock()).changes === 1
  }

  async delete(key: string): Promise<void> {
    this.stmt.del.run(key)
  }

  async deletePrefix(prefix: string): Promise<number> {
    // Range scan on the primary key: every key starting with `prefix` sorts below prefix + U+FFFF.
    return this.stmt.delPrefix.run(prefix, `${prefix}\uffff`, this.clock()).changes
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const now = this.clock()
    const row = this.stmt.incr.get(key, now + ttlMs, now, now) as { value: string }
    return Number(row.value)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.purgeTimer)
    this.db.close()
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
