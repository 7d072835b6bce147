import type { Keyspace } from './keyspaces.js'

/**
 * The small key-value interface every piece of shared state goes through (de-duplication ledger,
 * caches, settings, counters, locks). Memory for tests and single runs, SQLite by default, Redis
 * for several instances; all implement the same contract. Values are strings; TTLs are ms.
 * Every key belongs to a keyspace its owner declared (`declare`), which says whether it survives
 * a restart and what happens to it while a shared store is away.
 */
export interface Store {
  readonly kind: string
  /**
   * True when other bot instances see the same data (Redis): cross-instance locks, lease renewals
   * and the shared access token are worth their round trips only then.
   */
  readonly shared?: boolean
  get(key: string): Promise<string | undefined>
  /** Sets `key`; without `ttlMs` it never expires. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  /** Sets `key` only when it is absent or expired. Resolves true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /**
   * Sets `key` to `value` only while it holds `expected` (renewing a lease that is still ours).
   * Without `ttlMs` it never expires. Resolves true when this call set it.
   */
  compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean>
  /** Deletes `key` only while it holds `expected` (releasing a lock that is still ours). */
  compareAndDelete(key: string, expected: string): Promise<boolean>
  delete(key: string): Promise<void>
  /**
   * Deletes every key starting with `prefix`, which lies inside one keyspace (it starts with the
   * keyspace's prefix); resolves how many were deleted, only once the deletion is committed
   * wherever the keyspace's keys are kept (a file: even for keys written behind).
   */
  deletePrefix(prefix: string): Promise<number>
  /**
   * Every live key starting with `prefix` (inside one keyspace) and its value, in no particular
   * order. For rare walks over a small keyspace (the inbox at start-up and when replicas take
   * over), never for a hot path.
   */
  entries(prefix: string): Promise<Array<[key: string, value: string]>>
  /** Increments a counter that expires `ttlMs` after it was created; resolves the new value. */
  increment(key: string, ttlMs: number): Promise<number>
  /**
   * Registers the keyspaces of the state owners that use this store. Called by the composition
   * root before the first operation; a store that needs them (SQLite, the Redis fallback) refuses
   * keys outside them with `UndeclaredKeyError`.
   */
  declare(spaces: readonly Keyspace[]): void
  /** For `/readyz`: a shared store that is unreachable says `degraded` while it runs on local memory. */
  health?(): StoreHealth
  close(): Promise<void>
}

export interface StoreHealth {
  readonly state: 'ok' | 'degraded'
  /** Why, in words an operator reads in `/readyz`; never a password. */
  readonly detail: string
}
