import type { Logger } from '../logger.js'
import { type Keyspace, Keyspaces } from './keyspaces.js'
import { MemoryStore } from './memory.js'
import type { Store, StoreHealth } from './store.js'

/** A shared store that can say whether it is back, and tell when its connection drops. */
export interface PrimaryStore extends Store {
  ping(): Promise<void>
  onDown?(listener: (reason: string) => void): void
}

export interface ResilientStoreOptions {
  readonly log: Logger
  /** How often to try the shared store again while degraded. */
  readonly probeMs?: number
  /** Bound on the local memory used while degraded. */
  readonly localMaxEntries?: number
}

/**
 * The shared store (Redis) with a local fallback. While the shared store answers, everything goes
 * there. The first failure (or a dropped connection) switches this instance to degraded mode:
 * logged once, `/readyz` says so, every operation runs on local memory (local de-dup, caches,
 * counters and locks) without waiting for Redis. A probe tries the shared store every `probeMs`;
 * once it answers, what the outage left goes back, and operations return to it. Each keyspace's
 * declared `outage` says what goes back: `drop` nothing, `add` what the shared store has no value
 * for (the dedupe ledger: a message answered during the outage is not answered again after it,
 * and the shared ledger wins a conflict), `mirror` what changed, over the shared value (settings,
 * which are also kept locally while healthy, so an outage does not lose a chat's language).
 */
export class ResilientStore implements Store {
  readonly shared = true
  private readonly spaces = new Keyspaces()
  private readonly local: MemoryStore
  private degraded: { since: number; reason: string } | undefined
  private readonly dirty = new Set<string>()
  private probe: NodeJS.Timeout | undefined
  private recovering = false
  private closed = false

  constructor(
    private readonly primary: PrimaryStore,
    private readonly opts: ResilientStoreOptions,
  ) {
    this.local = new MemoryStore({ maxEntries: opts.localMaxEntries ?? 100_000 })
    primary.onDown?.((reason) => this.degrade(reason))
  }

  get kind(): string {
    return this.degraded ? `${this.primary.kind} (degraded: local memory)` : this.primary.kind
  }

  declare(spaces: readonly Keyspace[]): void {
    this.spaces.declare(spaces)
    this.primary.declare(spaces)
  }

  /** What an outage means for `key`; throws `UndeclaredKeyError` for a key nobody declared. */
  private outage(key: string): Keyspace['outage'] {
    return this.spaces.of(key).outage
  }

  health(): StoreHealth {
    const d = this.degraded
    if (!d) return { state: 'ok', detail: `${this.primary.kind}: connected` }
    return {
      state: 'degraded',
      detail: `${this.primary.kind} unavailable since ${new Date(d.since).toISOString()} (${d.reason}); answering with local de-dup and caches`,
    }
  }

  async get(key: string): Promise<string | undefined> {
    const outage = this.outage(key)
    return this.run(
      (s) => s.get(key),
      outage === 'mirror'
        ? (value) => (value === undefined ? this.local.delete(key) : this.local.set(key, value))
        : undefined,
    )
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const outage = this.outage(key)
    return this.run(
      (s) => s.set(key, value, ttlMs),
      outage === 'mirror' ? () => this.local.set(key, value, ttlMs) : undefined,
      outage === 'drop' ? undefined : key,
    )
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const outage = this.outage(key)
    return this.run((s) => s.setIfAbsent(key, value, ttlMs), undefined, outage === 'drop' ? undefined : key)
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const outage = this.outage(key)
    return this.run(
      (s) => s.compareAndSet(key, expected, value, ttlMs),
      undefined,
      outage === 'drop' ? undefined : key,
    )
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    this.outage(key)
    return this.run((s) => s.compareAndDelete(key, expected))
  }

  async delete(key: string): Promise<void> {
    this.outage(key)
    return this.run(
      (s) => s.delete(key),
      () => this.local.delete(key),
    )
  }

  async deletePrefix(prefix: string): Promise<number> {
    this.outage(prefix)
    return this.run((s) => s.deletePrefix(prefix))
  }

  async entries(prefix: string): Promise<Array<[string, string]>> {
    this.spaces.of(prefix)
    return this.run((s) => s.entries(prefix))
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    this.outage(key)
    return this.run((s) => s.increment(key, ttlMs))
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.probe)
    await this.primary.close()
    await this.local.close()
  }

  /**
   * Healthy: the shared store (then `after`, for mirrors). Degraded or failing: local memory, and
   * `written` (a key whose outage is not `drop`) is remembered for the write-back.
   */
  private async run<T>(
    op: (s: Store) => Promise<T>,
    after?: (value: T) => Promise<unknown>,
    written?: string,
  ): Promise<T> {
    if (!this.degraded) {
      try {
        const value = await op(this.primary)
        await after?.(value)
        return value
      } catch (err) {
        this.degrade((err as Error).message)
      }
    }
    if (written !== undefined) this.dirty.add(written)
    return op(this.local)
  }

  private degrade(reason: string): void {
    if (this.degraded || this.closed) return
    this.degraded = { since: Date.now(), reason }
    this.opts.log.warn(
      { store: this.primary.kind, reason },
      'shared store unavailable: answering in degraded mode (local de-dup and caches) until it returns',
    )
    this.probe = setInterval(() => void this.tryRecover(), this.opts.probeMs ?? 1000)
    this.probe.unref()
  }

  /** Pings the shared store; once it answers, writes back what the outage left, then switches. */
  private async tryRecover(): Promise<void> {
    if (this.recovering || !this.degraded) return
    this.recovering = true
    try {
      await this.primary.ping()
      // Writes that land during the write-back are written back too, before the switch.
      while (this.dirty.size > 0) {
        for (const key of [...this.dirty]) {
          await this.writeBack(key)
          this.dirty.delete(key)
        }
      }
      const downMs = Date.now() - (this.degraded?.since ?? Date.now())
      this.degraded = undefined
      clearInterval(this.probe)
      this.probe = undefined
      this.forgetLocal()
      this.opts.log.info({ store: this.primary.kind, downMs }, 'shared store available again')
    } catch {
      // Still away: the next probe tries again.
    } finally {
      this.recovering = false
    }
  }

  private async writeBack(key: string): Promise<void> {
    const entry = this.local.peek(key)
    if (!entry) return
    if (this.outage(key) === 'mirror') await this.primary.set(key, entry.value, entry.ttlMs)
    else await this.primary.setIfAbsent(key, entry.value, entry.ttlMs ?? 24 * 3600_000)
  }

  /** Back on the shared store: local memory keeps only the mirrors. */
  private forgetLocal(): void {
    for (const key of this.local.keys()) if (this.outage(key) !== 'mirror') this.local.deleteNow(key)
  }
}
