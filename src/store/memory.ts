import type { Store } from './store.js'

interface Entry {
  value: string
  expiresAt: number
}

/**
 * In-process store. Bounded: past `maxEntries` the least recently written entries that expire go
 * first (entries without a TTL, such as per-chat settings, are kept), so a flood of unique message
 * ids cannot grow memory without limit.
 */
export class MemoryStore implements Store {
  readonly kind: string = 'memory'
  private readonly map = new Map<string, Entry>()

  constructor(private readonly opts: { maxEntries?: number; clock?: () => number } = {}) {}

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

  private write(key: string, value: string, ttlMs: number | undefined): void {
    this.map.delete(key)
    this.map.set(key, {
      value,
      expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.now() + ttlMs,
    })
    const max = this.opts.maxEntries ?? 200_000
    let kept = 0
    while (this.map.size > max && kept < this.map.size) {
      const [oldest, entry] = this.map.entries().next().value as [string, Entry]
      this.map.delete(oldest)
      if (entry.expiresAt === Number.POSITIVE_INFINITY) {
        // Permanent: move it to the back and look further.
        this.map.set(oldest, entry)
        kept++
      }
    }
  }

  get size(): number {
    return this.map.size
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.write(key, value, ttlMs)
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false
    this.write(key, value, ttlMs)
    return true
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.live(key)?.value !== expected) return false
    this.write(key, value, ttlMs)
    return true
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    if (this.live(key)?.value !== expected) return false
    return this.map.delete(key)
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key)
  }

  async deletePrefix(prefix: string): Promise<number> {
    let n = 0
    for (const key of [...this.map.keys()]) {
      if (key.startsWith(prefix) && this.map.delete(key)) n++
    }
    return n
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const e = this.live(key)
    if (!e) {
      this.write(key, '1', ttlMs)
      return 1
    }
    e.value = String(Number(e.value) + 1)
    return Number(e.value)
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
