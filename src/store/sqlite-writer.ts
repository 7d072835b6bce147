import { accessSync, constants, mkdirSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import type { FromWriter, ToWriter, WriterData } from './sqlite-file.js'

/**
 * The SQLite writer thread: the only code that writes the data file. It creates the directory and
 * the schema, proves the file writable, then commits what the store sends, one transaction per
 * message, in order. The event loop never waits for a commit or a WAL checkpoint's fsync
 * (measured in the HTTP benchmark: checkpoints up to 40 ms).
 * Started by `WriterThread` (sqlite-file.ts); nothing here runs on the main thread.
 */
const port = parentPort
if (!port) throw new Error('sqlite-writer runs as a worker thread')
const { dir, file } = workerData as WriterData
const send = (m: FromWriter) => port.postMessage(m)
const failure = (err: unknown) => ({
  error: String((err as Error)?.message ?? err),
  code: (err as { code?: string })?.code,
})

function open(): Database.Database | undefined {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
  } catch (err) {
    send({ ready: false, directory: true, ...failure(err) })
    return undefined
  }
  let db: Database.Database | undefined
  try {
    db = new Database(file)
    // Before anything that writes: a file that is not ours is left exactly as it was.
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Error(`integrity check says: ${String(check)}`)
    db.pragma('journal_mode = WAL')
    // A commit is in the WAL when it returns, so it survives the process dying; the fsync waits
    // for the checkpoint (an fsync per commit measured ~1 ms median, 5-15 ms p99, here).
    db.pragma('synchronous = NORMAL')
    db.exec(
      'CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID',
    )
    db.exec('CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at)')
    // A throwaway write proves the file is writable now, not at the first message.
    db.exec(
      "INSERT OR REPLACE INTO kv VALUES ('store:probe', '1', 0); DELETE FROM kv WHERE key = 'store:probe'",
    )
    return db
  } catch (err) {
    send({ ready: false, ...failure(err) })
    db?.close()
    return undefined
  }
}

const db = open()
if (db) {
  const upsert = db.prepare('INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)')
  const del = db.prepare('DELETE FROM kv WHERE key = ?')
  const purge = db.prepare('DELETE FROM kv WHERE expires_at <= ?')
  // Rows are flat `[key, value | null (delete), expiresAt, ...]`.
  const writeAll = db.transaction((rows: Array<string | number | null>) => {
    for (let i = 0; i < rows.length; i += 3) {
      if (rows[i + 1] === null) del.run(rows[i])
      else upsert.run(rows[i], rows[i + 1], rows[i + 2])
    }
    return rows.length / 3
  })
  port.on('message', (m: ToWriter) => {
    if ('close' in m) {
      db.close()
      send({ closed: true })
      return
    }
    try {
      let changes: number
      if ('purge' in m) {
        changes = purge.run(m.purge).changes
      } else {
        changes = writeAll(JSON.parse(m.rows) as Array<string | number | null>)
      }
      send({ seq: m.seq, changes })
    } catch (err) {
      send({ seq: m.seq, ...failure(err) })
    }
  })
  send({ ready: true })
}
