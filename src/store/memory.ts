import { type Keyspace, Keyspaces } from './keyspaces.js'
import type { Store } from './store.js'

interface Entry {
  value: string
  expiresAt: number
  /** Read since it was written or last spared: the eviction walk spares it once (CLOCK). */
  used: boolean
}

/**
 * In-process store. Bounded: past `maxEntries` the oldest entries that expire and were not read
 * since the last eviction walk go first (entries without a TTL, such as per-chat settings, are
 * kept), so a flood of unique message ids cannot grow memory without limit, nor push out a cached
 * meeting that every question reads.
 */
export class MemoryStore implements Store {
  readonly kind: string = 'memory'
  private readonly map = new Map<string, Entry>()

  private readonly max: number
  private evictAbove: number
  /** Set by the first non-empty `declare`: from then on a key nobody declared is refused. */
  private spaces: Keyspaces | undefined

  constructor(private readonly opts: { maxEntries?: number; clock?: () => number } = {}) {
    this.max = opts.maxEntries ?? 200_000
    this.evictAbove = this.max
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)()
  }

  private live(key: string): Entry | undefined {
    const e = this.map.get(key)
    if (e && e.expiresAt <= this.now()) {
      this.map.delete(key)
      return undefined
    }
    return e
  }

  /** Writes in place when the key is there (one lookup); true when it replaced a live entry. */
  private write(key: string, value: string, ttlMs: number | undefined): boolean {
    const e = this.map.get(key)
    if (e === undefined) {
      this.insert(key, value, ttlMs)
      return false
    }
    const now = this.now()
    const wasLive = e.expiresAt > now
    e.value = value
    e.expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs
    // A rewrite is not a read: a message id marked answered is seldom read again, and sparing
    // every such entry once would double the eviction walks.
    return wasLive
  }

  private insert(key: string, value: string, ttlMs: number | undefined): void {
    this.map.set(key, {
      value,
      expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.now() + ttlMs,
      used: false,
    })
    if (this.map.size > this.evictAbove) this.evict()
  }

  /**
   * Drops the oldest expiring entries, a batch at a time: down to `max` less 1/64 of it, in one
   * walk. An entry read since it was written is spared once and goes to the back (the CLOCK
   * approximation of least-recently-used: a read costs one flag, not a move). A Map keeps deleted
   * slots until it rehashes, so finding "the oldest" afresh for every write would walk over all
   * the holes evicted before it: measured, that was the store's main cost.
   */
  private evict(): void {
    const target = this.max - (this.max >> 6)
    for (const [key, entry] of this.map) {
      if (this.map.size <= target) break
      // Permanent entries (no TTL) stay: over the bound rather than losing a chat's settings.
      if (entry.expiresAt === Number.POSITIVE_INFINITY) continue
      this.map.delete(key)
      if (entry.used) {
        entry.used = false
        this.map.set(key, entry)
      }
    }
    // Mostly permanent: the next walk only after another batch of writes, not at every write.
    this.evictAbove = Math.max(this.max, this.map.size + (this.max >> 6))
  }

  /**
   * Nothing here depends on the keyspace, but once the composition root has declared them the
   * store refuses other keys like the stores that do depend on it, so a test through `createApp`
   * catches an owner that forgot its declaration. Undeclared (unit tests, the memory front of
   * another store) it takes any key.
   */
  declare(spaces: readonly Keyspace[]): void {
    if (spaces.length === 0) return
    this.spaces ??= new Keyspaces()
    this.spaces.declare(spaces)
  }

  get size(): number {
    return this.map.size
  }

  // Synchronous forms, for a store that fronts another (SQLite) without a microtask per step.

  getNow(key: string): string | undefined {
    const e = this.live(key)
    if (e === undefined) return undefined
    e.used = true
    return e.value
  }

  setIfAbsentNow(key: string, value: string, ttlMs: number): boolean {
    if (this.live(key)) return false
    this.insert(key, value, ttlMs)
    return true
  }

  compareAndSetNow(key: string, expected: string, value: string, ttlMs?: number): boolean {
    if (this.live(key)?.value !== expected) return false
    this.write(key, value, ttlMs)
    return true
  }

  compareAndDeleteNow(key: string, expected: string): boolean {
    if (this.live(key)?.value !== expected) return false
    return this.map.delete(key)
  }

  incrementNow(key: string, ttlMs: number): number {
    const n = this.incrementIfLive(key)
    if (n !== undefined) return n
    this.insert(key, '1', ttlMs)
    return 1
  }

  /** Adds one to a live counter (its expiry unchanged); undefined when there is none. */
  incrementIfLive(key: string): number | undefined {
    const e = this.live(key)
    if (!e) return undefined
    const n = Number(e.value) + 1
    e.value = String(n)
    return n
  }

  /** Adds an entry the caller has just found absent (no second lookup). */
  insertNow(key: string, value: string, ttlMs?: number): void {
    this.insert(key, value, ttlMs)
  }

  /** Whether the key holds a live entry (does not count as a read). */
  has(key: string): boolean {
    return this.live(key) !== undefined
  }

  async get(key: string): Promise<string | undefined> {
    this.spaces?.of(key)
    return this.getNow(key)
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.spaces?.of(key)
    this.write(key, value, ttlMs)
  }

  /** True when it replaced a live entry. */
  setNow(key: string, value: string, ttlMs?: number): boolean {
    return this.write(key, value, ttlMs)
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.spaces?.of(key)
    return this.setIfAbsentNow(key, value, ttlMs)
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    this.spaces?.of(key)
    return this.compareAndSetNow(key, expected, value, ttlMs)
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    this.spaces?.of(key)
    return this.compareAndDeleteNow(key, expected)
  }

  async delete(key: string): Promise<void> {
    this.spaces?.of(key)
    this.map.delete(key)
  }

  deleteNow(key: string): void {
    this.map.delete(key)
  }

  async deletePrefix(prefix: string): Promise<number> {
    this.spaces?.of(prefix)
    let n = 0
    for (const key of [...this.map.keys()]) {
      if (key.startsWith(prefix) && this.map.delete(key)) n++
    }
    return n
  }

  async entries(prefix: string): Promise<Array<[string, string]>> {
    this.spaces?.of(prefix)
    const out: Array<[string, string]> = []
    for (const [key, e] of this.map)
      if (key.startsWith(prefix) && e.expiresAt > this.now()) out.push([key, e.value])
    return out
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    this.spaces?.of(key)
    return this.incrementNow(key, ttlMs)
  }

  /** A live entry with the time it has left (undefined: never expires), for writing it elsewhere. */
  peek(key: string): { value: string; ttlMs: number | undefined } | undefined {
    const e = this.live(key)
    if (!e) return undefined
    const left = e.expiresAt - this.now()
    return { value: e.value, ttlMs: Number.isFinite(left) ? left : undefined }
  }

  /** Live keys, oldest write first. */
  keys(): string[] {
    return [...this.map.keys()].filter((k) => this.live(k) !== undefined)
  }

  async close(): Promise<void> {
    this.map.clear()
  }
}
