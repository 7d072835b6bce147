/**
 * The small key-value interface every piece of shared state goes through (de-duplication ledger,
 * caches, settings, counters). Memory for tests and single runs; persistent and shared stores
 * implement the same contract. Values are strings; TTLs are milliseconds.
 */
export interface Store {
  readonly kind: string
  get(key: string): Promise<string | undefined>
  /** Sets `key`; without `ttlMs` it never expires. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  /** Sets `key` only when it is absent or expired. Resolves true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  delete(key: string): Promise<void>
  /** Deletes every key starting with `prefix`; resolves how many were deleted. */
  deletePrefix(prefix: string): Promise<number>
  /** Increments a counter that expires `ttlMs` after it was created; resolves the new value. */
  increment(key: string, ttlMs: number): Promise<number>
  close(): Promise<void>
}
