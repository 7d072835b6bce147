import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { KeyFilter } from './key-filter.js'
import { type Keyspace, Keyspaces } from './keyspaces.js'
import { MemoryStore } from './memory.js'
import { Committer, openForWriting } from './sqlite-db.js'
import { Checkpointer, DATA_FILE, DataFileError, describe } from './sqlite-file.js'
import { NEVER, WriteQueue } from './sqlite-queue.js'
import type { Store } from './store.js'

export { DATA_FILE, DataFileError } from './sqlite-file.js'

/**
 * Above every key that starts with a given prefix, in SQLite's byte order (UTF-8): no valid UTF-8
 * sequence starts above U+10FFFF's. `\uffff` would miss keys with characters beyond the BMP.
 */
const TOP = '\u{10ffff}'

/** How many entries the memory front holds; the file holds the rest. */
export const MEMORY_ENTRIES = 20_000

type Row = { value: string; expiresAt: number }
type Persistence = Keyspace['persistence']

export interface SqliteStoreOptions {
  readonly clock?: () => number
  readonly memoryEntries?: number
  /** How often the checkpoint thread copies the WAL back into the file (`CHECKPOINT_EVERY_MS`). */
  readonly checkpointEveryMs?: number
}

/** Crashes the process: a store that cannot write can no longer keep its promise of durability. */
function fail(file: string, err: unknown): void {
  setImmediate(() => {
    throw new DataFileError(file, describe(err), { cause: err })
  })
}

/**
 * The embedded store: one SQLite file under `DATA_DIR`. A corrupt or unwritable file is a
 * start-up error, never silently replaced. What reaches the file is what each keyspace declared:
 * `volatile` keys (rate windows, locks, the token) live in memory only; `behind` keys (the dedupe
 * ledger, caches, usage) are written behind in one transaction every few milliseconds, so a crash
 * may lose the last batch; `confirmed` keys (settings) resolve only once their batch is committed.
 *
 * A bounded memory front answers; the file keeps. Operations run on memory (a miss looks in the
 * file once); changes are committed in batches on this thread (sqlite-queue.ts), a confirmed
 * change's batch in the task that made it, so what waits for it (a Stream ack, an inbox release)
 * needs no round trip to another thread. WAL checkpoints, the part that fsyncs, run on a thread of
 * their own (sqlite-checkpointer.ts). Open it with `SqliteStore.open`.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite'
  private readonly spaces = new Keyspaces()
  private readonly memory: MemoryStore
  private readonly stmt: Record<'one' | 'keys' | 'range', Database.Statement>
  private readonly clock: () => number
  /** Changes not committed yet: reads look there before the file. */
  private readonly queued: WriteQueue
  /** Every key that may have a row in the file: a miss anywhere else needs no read. */
  private readonly inFile = new KeyFilter()
  private readonly committer: Committer
  private readonly purgeTimer: NodeJS.Timeout
  private closed = false

  private constructor(
    file: string,
    private readonly db: Database.Database,
    private readonly checkpointer: Checkpointer,
    opts: SqliteStoreOptions,
  ) {
    this.clock = opts.clock ?? Date.now
    this.stmt = {
      one: db.prepare('SELECT value, expires_at AS expiresAt FROM kv WHERE key = ? AND expires_at > ?'),
      keys: db.prepare('SELECT key FROM kv').pluck(),
      range: db.prepare('SELECT key FROM kv WHERE key >= ? AND key < ? AND expires_at > ?').pluck(),
    }
    this.committer = new Committer(db)
    this.queued = new WriteQueue(file, this.committer, this.clock, (err) => fail(file, err))
    this.memory = new MemoryStore({ clock: this.clock, maxEntries: opts.memoryEntries ?? MEMORY_ENTRIES })
    this.fillFilter()
    this.purgeTimer = setInterval(() => this.purge().catch((err) => fail(file, err)), 60_000)
    this.purgeTimer.unref()
  }

  /**
   * Opens (or creates) `dir/meeting-bot.sqlite`: resolves once the file is checked and proved
   * writable and its checkpoint thread runs; a `DataFileError` otherwise, the file left as it was.
   */
  static async open(dir: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const file = join(dir, DATA_FILE)
    const db = openForWriting(dir, file)
    let checkpointer: Checkpointer
    try {
      checkpointer = await Checkpointer.start(file, (err) => fail(file, err), {
        ...(opts.checkpointEveryMs === undefined ? {} : { everyMs: opts.checkpointEveryMs }),
      })
    } catch (err) {
      db.close()
      throw err
    }
    return new SqliteStore(file, db, checkpointer, opts)
  }

  declare(spaces: readonly Keyspace[]): void {
    this.spaces.declare(spaces)
  }

  private persistence(key: string): Persistence {
    return this.spaces.of(key).persistence
  }

  private fillFilter(): void {
    this.inFile.reset()
    for (const key of this.stmt.keys.iterate() as Iterable<string>) this.inFile.add(key)
    for (const key of this.queued.withValues()) this.inFile.add(key)
  }

  /** Drops expired rows from the file; memory never answers with them anyway. */
  async purge(): Promise<number> {
    this.flush()
    const n = this.committer.purge(this.clock())
    // The filter only grows; rebuild it from what is left once it holds more than it was made for.
    if (this.inFile.added > this.inFile.capacity) this.fillFilter()
    return n
  }

  /** Commits everything changed so far, in one transaction. */
  flush(): void {
    this.queued.flush()
  }

  /** Resolves once everything changed so far is committed. */
  async written(): Promise<void> {
    this.flush()
  }

  /**
   * Brings a key the memory front does not hold (evicted, or from before a restart) back from the
   * file. The caller has just found the key missing in memory. True when it brought it back.
   */
  private load(key: string): boolean {
    // Every key queued with a value was added to the filter, so "certainly not" rules out the
    // queues and the file alike (most misses: new message ids, chats without settings).
    if (!this.inFile.mightHave(key)) return false
    const queued = this.queued.newest(key)
    if (queued === null) return false // deleted; the file catches up with the next batch
    const now = this.clock()
    const row = queued ?? (this.stmt.one.get(key, now) as Row | undefined)
    if (!row || row.expiresAt <= now) return false
    this.memory.setNow(key, row.value, row.expiresAt >= NEVER ? undefined : row.expiresAt - now)
    return true
  }

  /** Whether the key is live, from memory or (unless volatile) brought back from the file. */
  private present(key: string, p: Persistence): boolean {
    return this.memory.has(key) || (p !== 'volatile' && this.load(key))
  }

  private queue(key: string, value: string | null, ttlMs?: number): void {
    this.queued.put(key, value, ttlMs)
    if (value !== null) this.inFile.add(key)
  }

  /** The commit of the batch being gathered (`WriteQueue.committed`). */
  private committed(): Promise<void> {
    return this.queued.committed()
  }

  // Everything below runs synchronously on the memory front (a miss reads the file once): no
  // await inside but a confirmed change's commit, so no microtask per step; `async` so that a
  // failure (an undeclared key) is a rejection.

  async get(key: string): Promise<string | undefined> {
    const p = this.persistence(key)
    const hit = this.memory.getNow(key)
    if (hit !== undefined || p === 'volatile' || !this.load(key)) return hit
    return this.memory.getNow(key)
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const p = this.persistence(key)
    this.memory.setNow(key, value, ttlMs)
    if (p === 'volatile') return
    // Whatever its TTL: the row replaces any older one, which must not come back.
    this.queue(key, value, ttlMs)
    if (p === 'confirmed') return this.committed()
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const p = this.persistence(key)
    if (this.present(key, p)) return false
    this.memory.insertNow(key, value, ttlMs)
    if (p === 'volatile') return true
    this.queue(key, value, ttlMs)
    if (p === 'confirmed') await this.committed()
    return true
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const p = this.persistence(key)
    this.present(key, p)
    if (!this.memory.compareAndSetNow(key, expected, value, ttlMs)) return false
    if (p === 'volatile') return true
    this.queue(key, value, ttlMs)
    if (p === 'confirmed') await this.committed()
    return true
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    const p = this.persistence(key)
    this.present(key, p)
    if (!this.memory.compareAndDeleteNow(key, expected)) return false
    if (p === 'volatile') return true
    this.queue(key, null)
    if (p === 'confirmed') await this.committed()
    return true
  }

  async delete(key: string): Promise<void> {
    const p = this.persistence(key)
    this.memory.deleteNow(key)
    // The filter has every key ever queued with a value: without it, nothing to delete in the file.
    if (p === 'volatile' || !this.inFile.mightHave(key)) return
    this.queue(key, null)
    if (p === 'confirmed') return this.committed()
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (this.persistence(prefix) === 'volatile') return this.memory.deletePrefix(prefix)
    // Rare (an admin's /cache clear): every key under the prefix, wherever it may be (memory, the
    // queues, the file), gets a delete in one batch; it resolves once that batch is committed.
    const now = this.clock()
    const inFile = new Set(this.stmt.range.all(prefix, prefix + TOP, now) as string[])
    const keys = new Set(inFile)
    for (const key of this.memory.keys()) if (key.startsWith(prefix)) keys.add(key)
    for (const key of this.queued.keys()) if (key.startsWith(prefix)) keys.add(key)
    let live = 0
    for (const key of keys) {
      const queued = this.queued.newest(key)
      const inQueueOrFile = queued === undefined ? inFile.has(key) : queued !== null && queued.expiresAt > now
      if (this.memory.has(key) || inQueueOrFile) live++
      this.memory.deleteNow(key)
      this.queue(key, null)
    }
    if (keys.size > 0) await this.committed()
    return live
  }

  async entries(prefix: string): Promise<Array<[string, string]>> {
    if (this.persistence(prefix) === 'volatile') return this.memory.entries(prefix)
    // Every key that may be live under the prefix: a key that is not volatile was queued when it
    // was written, so it is in the queues or the file (no scan of the whole memory front, which
    // cost the watch poller O(memory) per meeting); `get` knows which state wins.
    const keys = new Set(this.stmt.range.all(prefix, prefix + TOP, this.clock()) as string[])
    for (const key of this.queued.keys()) if (key.startsWith(prefix)) keys.add(key)
    const out: Array<[string, string]> = []
    for (const key of keys) {
      const value = await this.get(key)
      if (value !== undefined) out.push([key, value])
    }
    return out
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const p = this.persistence(key)
    let n = this.memory.incrementIfLive(key)
    if (n === undefined) {
      if (p !== 'volatile' && this.load(key)) {
        n = this.memory.incrementNow(key, ttlMs)
      } else {
        this.memory.insertNow(key, '1', ttlMs)
        n = 1
      }
    }
    if (p === 'volatile') return n
    // The counter keeps the expiry it was created with.
    const live = this.memory.peek(key)
    if (live) this.queue(key, live.value, live.ttlMs)
    if (p === 'confirmed') await this.committed()
    return n
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.queued.close()
    this.closed = true
    clearInterval(this.purgeTimer)
    // This connection first: the checkpoint thread's is then the last, and closing it checkpoints
    // the WAL away.
    this.db.close()
    await this.checkpointer.close()
    await this.memory.close()
  }
}
