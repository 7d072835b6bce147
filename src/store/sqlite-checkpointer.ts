import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import type { CheckpointerData, FromCheckpointer } from './sqlite-file.js'

/**
 * The WAL checkpoint thread: the main thread commits (`wal_autocheckpoint` off on its
 * connection); copying the WAL back into the file, and that copy's fsync (measured up to 40 ms
 * in the HTTP bench), happen here, on a timer. A PASSIVE checkpoint never blocks a writer. Under
 * a load that commits during every checkpoint the WAL cannot start over; once it holds more than
 * `maxWalPages`, a RESTART checkpoint waits for the writer's current commit, copies what is left
 * (little: the passive one just ran) and lets the next commit start the WAL again.
 * Started by `Checkpointer` (sqlite-file.ts); nothing here runs on the main thread.
 */
const port = parentPort
if (!port) throw new Error('sqlite-checkpointer runs as a worker thread')
const { file, everyMs, maxWalPages } = workerData as CheckpointerData
const send = (m: FromCheckpointer) => port.postMessage(m)

function open(): Database.Database | undefined {
  try {
    const db = new Database(file, { fileMustExist: true })
    db.pragma('busy_timeout = 5000')
    return db
  } catch (err) {
    send({ ready: false, error: String((err as Error)?.message ?? err) })
    return undefined
  }
}

const db = open()
if (db) {
  type Result = { busy: number; log: number; checkpointed: number }
  const checkpoint = (mode: 'PASSIVE' | 'RESTART'): Result =>
    (db.pragma(`wal_checkpoint(${mode})`) as Result[])[0] as Result
  const timer = setInterval(() => {
    try {
      const r = checkpoint('PASSIVE')
      if (r.log > maxWalPages && r.checkpointed < r.log) checkpoint('RESTART')
    } catch {
      // Busy: the next tick tries again; the WAL keeps every commit meanwhile.
    }
  }, everyMs)
  port.on('message', (m: { close?: true }) => {
    if (!m.close) return
    clearInterval(timer)
    // The last connection to close copies the WAL back and removes it.
    db.close()
    send({ closed: true })
  })
  send({ ready: true })
}
