import type { Store } from '../store/store.js'

export interface Lease {
  /** Stops renewing. The key itself is left to its owner (marked done, or deleted). */
  release(): void
}

/**
 * Keeps `key = value` alive while its owner works: renewed every third of `ttlMs`, only while the
 * key still holds our value. A live instance never loses a claim to a slow answer; one that dies
 * stops renewing, and the key lapses `ttlMs` later for another instance to take over. Renewal
 * stops on release, when the key is no longer ours, and after `maxHoldMs` (a guard against a
 * leaked lease holding a key forever).
 */
export function holdLease(
  store: Store,
  key: string,
  value: string,
  ttlMs: number,
  maxHoldMs = 10 * 60_000,
): Lease {
  const until = Date.now() + maxHoldMs
  const timer = setInterval(
    () => {
      if (Date.now() > until) return clearInterval(timer)
      store.compareAndSet(key, value, value, ttlMs).then(
        (ours) => {
          if (!ours) clearInterval(timer)
        },
        // The store failed this once (it is switching to local memory); the next tick tries again.
        () => undefined,
      )
    },
    Math.max(10, Math.floor(ttlMs / 3)),
  )
  timer.unref()
  return { release: () => clearInterval(timer) }
}
