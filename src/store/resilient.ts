import type { Logger } from '../logger.js'
import type { Keyspace } from './keyspaces.js'
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
  /**
   * Keys also kept in local memory while the shared store works, so an outage does not lose them
   * (per-chat settings: a chat keeps its language).
   */
  readonly mirror?: readonly string[]
  /**
   * Keys written locally during an outage are written back when the shared store returns:
   * `ifAbsent` for the de-dup ledger (a message answered during the outage is not answered again
   * after it; the shared ledger wins a conflict), `overwrite` for settings changed meanwhile.
   */
  readonly writeBack?: Readonly<Record<string, 'ifAbsent' | 'overwrite'>>
  /** Bound on the local memory used while degraded. */
  readonly localMaxEntries?: number
}

/**
 * The shared store (Redis) with a local fallback. While the shared store answers, everything goes
 * there. The first failure (or a dropped connection) switches this instance to degraded mode:
 * logged once, `/readyz` says so, every operation runs on local memory (local de-dup, caches,
 * counters and locks) without waiting for Redis. A probe tries the shared store every `probeMs`;
 * once it answers, the keys listed in `writeBack` go back, and operations return to it.
 */
export class ResilientStore implements Store {
  readonly shared = true
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

  /** TODO(keyspaces): read the declarations. */
  declare(_spaces: readonly Keyspace[]): void {}

  health(): StoreHealth {
    const d = this.degraded
    if (!d) return { state: 'ok', detail: `${this.primary.kind}: connected` }
    return {
      state: 'degraded',
      detail: `${this.primary.kind} unavailable since ${new Date(d.since).toISOString()} (${d.reason}); answering with local de-dup and caches`,
    }
  }

  get(key: string): Promise<string | undefined> {
    return this.run(
      (s) => s.get(key),
      async (value) => {
        if (!this.mirrored(key)) return
        if (value === undefined) await this.local.delete(key)
        else await this.local.set(key, value)
      },
    )
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.run(
      (s) => s.set(key, value, ttlMs),
      () => (this.mirrored(key) ? this.local.set(key, value, ttlMs) : undefined),
      key,
    )
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.run((s) => s.setIfAbsent(key, value, ttlMs), undefined, key)
  }

  compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.run((s) => s.compareAndSet(key, expected, value, ttlMs), undefined, key)
  }

  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.run((s) => s.compareAndDelete(key, expected))
  }

  delete(key: string): Promise<void> {
    return this.run(
      (s) => s.delete(key),
      () => this.local.delete(key),
    )
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.run((s) => s.deletePrefix(prefix))
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.run((s) => s.increment(key, ttlMs))
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.probe)
    await this.primary.close()
    await this.local.close()
  }

  /** Healthy: the shared store (then `after`, for mirrors). Degraded or failing: local memory. */
  private async run<T>(
    op: (s: Store) => Promise<T>,
    after?: (value: T) => Promise<unknown> | undefined,
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
    if (written !== undefined && this.writeBackMode(written)) this.dirty.add(written)
    return op(this.local)
  }

  private mirrored(key: string): boolean {
    return (this.opts.mirror ?? []).some((p) => key.startsWith(p))
  }

  private writeBackMode(key: string): 'ifAbsent' | 'overwrite' | undefined {
    for (const [prefix, mode] of Object.entries(this.opts.writeBack ?? {})) {
      if (key.startsWith(prefix)) return mode
    }
    return undefined
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
    if (this.writeBackMode(key) === 'overwrite') await this.primary.set(key, entry.value, entry.ttlMs)
    else await this.primary.setIfAbsent(key, entry.value, entry.ttlMs ?? 24 * 3600_000)
  }

  /** Back on the shared store: local memory keeps only the mirrors. */
  private forgetLocal(): void {
    for (const key of this.local.keys()) if (!this.mirrored(key)) void this.local.delete(key)
  }
}
