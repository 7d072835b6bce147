import { accessSync, constants, mkdirSync } from 'node:fs'
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads'
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
  const apply = (rows: Array<string | number | null>): number => {
    for (let i = 0; i < rows.length; i += 3) {
      if (rows[i + 1] === null) del.run(rows[i])
      else upsert.run(rows[i], rows[i + 1], rows[i + 2])
    }
    return rows.length / 3
  }
  const commitAll = db.transaction((batches: string[]) =>
    batches.map((rows) => apply(JSON.parse(rows) as Array<string | number | null>)),
  )
  /**
   * Group commit: the batches waiting at the port when one arrives are committed with it, in one
   * transaction, in order; each is answered once that transaction is committed. Under load the
   * transactions grow instead of multiplying, so the store can send each moment's confirmed
   * changes at once without a transaction each.
   */
  const batches = (first: ToWriter): ToWriter[] => {
    const all = [first]
    for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) {
      all.push(next.message as ToWriter)
    }
    return all
  }
  const commitRun = (run: Array<{ seq: number; rows: string }>) => {
    if (run.length === 0) return
    try {
      const changes = commitAll(run.map((b) => b.rows))
      for (const [i, b] of run.entries()) send({ seq: b.seq, changes: changes[i] ?? 0 })
    } catch (err) {
      for (const b of run) send({ seq: b.seq, ...failure(err) })
    }
  }
  port.on('message', (first: ToWriter) => {
    let run: Array<{ seq: number; rows: string }> = []
    for (const m of batches(first)) {
      if ('rows' in m) {
        run.push(m)
        continue
      }
      // A purge or close keeps its place in the order: what came before it is committed first.
      commitRun(run)
      run = []
      if ('close' in m) {
        db.close()
        send({ closed: true })
        return
      }
      try {
        send({ seq: m.seq, changes: purge.run(m.purge).changes })
      } catch (err) {
        send({ seq: m.seq, ...failure(err) })
      }
    }
    commitRun(run)
  })
  send({ ready: true })
}
