import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Keyspace } from '../store/keyspaces.js'
import type { Store } from '../store/store.js'
import { holdLease } from './lease.js'

/**
 * Concurrent callers asking for the same key share one execution of the work. With several
 * instances the work must re-check its shared cache first: a caller that waited for another
 * instance's lock finds the result there instead of calling upstream again.
 */
export interface Flight {
  run<T>(key: string, work: () => Promise<T>): Promise<T>
}

export class LocalFlight implements Flight {
  private readonly inFlight = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key)
    if (existing) return existing as Promise<T>
    const p = work().finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, p)
    return p
  }
}

export interface SharedFlightOptions {
  /** How long a lock outlives an instance that died holding it. Renewed while the work runs. */
  readonly lockTtlMs: number
  /** How often a waiter looks whether the lock is free again. */
  readonly pollMs?: number
  /** A waiter gives up after this long and does the work itself: an answer beats saving a call. */
  readonly maxWaitMs?: number
}

export const LOCK_PREFIX = 'lock:'
/** A lock lives seconds and means nothing to another process once its holder is gone. */
export const lockKeyspace: Keyspace = {
  prefix: LOCK_PREFIX,
  owner: 'core/flight',
  persistence: 'volatile',
  outage: 'drop',
}

/**
 * Single flight across instances: callers in one process share a `LocalFlight`; that one caller
 * per process then takes a lock in the shared store (`SET NX PX` on Redis) before the work. The
 * others poll the lock; once it is released they take it in turn, and their work finds the
 * result in the shared cache. So N instances asked at once make one upstream call. A lock whose
 * holder died lapses after `lockTtlMs`. If the store fails, the work runs without the lock.
 */
export class SharedFlight implements Flight {
  private readonly local = new LocalFlight()
  private readonly owner = randomBytes(6).toString('hex')
  private seq = 0

  constructor(
    private readonly store: Store,
    private readonly opts: SharedFlightOptions,
  ) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.locked(key, work))
  }

  private async locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const lockKey = LOCK_PREFIX + key
    const token = `${this.owner}:${++this.seq}`
    const acquired = await this.acquire(lockKey, token).catch(() => false)
    if (!acquired) return work()
    const lease = holdLease(this.store, lockKey, token, this.opts.lockTtlMs)
    try {
      return await work()
    } finally {
      lease.release()
      await this.store.compareAndDelete(lockKey, token).catch(() => false)
    }
  }

  /** Waits for the lock; false when it stayed taken past `maxWaitMs`. */
  private async acquire(lockKey: string, token: string): Promise<boolean> {
    const { lockTtlMs, pollMs = 25, maxWaitMs = 30_000 } = this.opts
    const deadline = Date.now() + maxWaitMs
    while (!(await this.store.setIfAbsent(lockKey, token, lockTtlMs))) {
      if (Date.now() >= deadline) return false
      await sleep(pollMs)
    }
    return true
  }
}
