import { Redis, type RedisOptions } from 'ioredis'
import type { Keyspace } from './keyspaces.js'
import { redactRedisUrl } from './redis-url.js'
import type { Store } from './store.js'

/** Redis could not be reached (or refused us) at start-up. The message never holds a password. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}

export interface RedisStoreOptions {
  readonly url: string
  /** Prepended to every key: `<REDIS_KEY_PREFIX>:<client id>:`, so apps and deployments never mix. */
  readonly namespace: string
  /** Bound on one connection attempt (TCP + handshake). */
  readonly connectTimeoutMs?: number
  /** Bound on one command: a hung Redis must not hang message handling. */
  readonly commandTimeoutMs?: number
  /** Longest pause between reconnection attempts while Redis is away. */
  readonly maxReconnectDelayMs?: number
}

/**
 * Fail fast while Redis is away, so the caller falls back to local memory at once instead of
 * queueing: no offline queue, no re-sending of commands caught by a broken connection, a timeout
 * on every command. Reconnection goes on in the background with a capped backoff.
 */
export function redisOptions(opts: RedisStoreOptions): RedisOptions {
  const cap = opts.maxReconnectDelayMs ?? 2000
  return {
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), cap),
    connectionName: 'meeting-bot',
  }
}

// INCR + PEXPIRE in one step; the PTTL check repairs a counter that somehow lost its TTL.
const INCR = `local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`
const CAS = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`
const CAD = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`

interface Scripts {
  mbIncr(key: string, ttlMs: number): Promise<number>
  mbCas(key: string, expected: string, value: string, ttlMs: string): Promise<number>
  mbCad(key: string, expected: string): Promise<number>
}

/** Escapes `*?[]\` so a key prefix matches itself in `SCAN MATCH`. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&')
}

const ms = (ttl: number) => Math.max(1, Math.ceil(ttl))

/**
 * The store for several instances: every operation is one atomic Redis command or a small Lua
 * script (`SET NX PX`, compare-and-set, INCR + PEXPIRE), `deletePrefix` walks `SCAN` (never
 * `KEYS`). Keys live under `namespace`. Use `RedisStore.connect`, which fails clearly at start-up.
 */
export class RedisStore implements Store {
  readonly kind = 'redis'
  readonly shared = true
  private readonly scripts: Scripts
  private closing = false
  private readonly downListeners: Array<(reason: string) => void> = []
  private lastError = ''

  private constructor(
    private readonly client: Redis,
    private readonly namespace: string,
  ) {
    client.defineCommand('mbIncr', { numberOfKeys: 1, lua: INCR })
    client.defineCommand('mbCas', { numberOfKeys: 1, lua: CAS })
    client.defineCommand('mbCad', { numberOfKeys: 1, lua: CAD })
    this.scripts = client as unknown as Scripts
    // Without an 'error' listener ioredis prints every failed reconnection to stderr.
    client.on('error', (err: Error) => {
      this.lastError = err.message
    })
    client.on('close', () => {
      if (this.closing) return
      for (const listener of this.downListeners) listener(this.lastError || 'connection to Redis closed')
    })
  }

  /** Connects (bounded by the connect timeout) and checks Redis answers; a clear error otherwise. */
  static async connect(opts: RedisStoreOptions): Promise<RedisStore> {
    const client = new Redis(opts.url, redisOptions(opts))
    let first: Error | undefined
    const onError = (err: Error) => {
      first ??= err
    }
    client.on('error', onError)
    try {
      await client.connect()
      await client.ping()
    } catch (err) {
      client.disconnect()
      const reason = (first ?? (err as Error)).message
      throw new StoreUnavailableError(
        `cannot use Redis at ${redactRedisUrl(opts.url)} (REDIS_URL): ${reason}`,
        { cause: err },
      )
    } finally {
      client.off('error', onError)
    }
    return new RedisStore(client, opts.namespace)
  }

  /** Keys need no declaration here: Redis keeps every key alike. */
  declare(_spaces: readonly Keyspace[]): void {}

  /** Called when the connection drops (not when we close it). */
  onDown(listener: (reason: string) => void): void {
    this.downListeners.push(listener)
  }

  async ping(): Promise<void> {
    await this.client.ping()
  }

  private k(key: string): string {
    return this.namespace + key
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(this.k(key))) ?? undefined
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.client.set(this.k(key), value)
    else await this.client.set(this.k(key), value, 'PX', ms(ttlMs))
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(this.k(key), value, 'PX', ms(ttlMs), 'NX')) === 'OK'
  }

  async compareAndSet(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs === undefined ? '' : String(ms(ttlMs))
    return (await this.scripts.mbCas(this.k(key), expected, value, ttl)) === 1
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    return (await this.scripts.mbCad(this.k(key), expected)) === 1
  }

  async delete(key: string): Promise<void> {
    await this.client.unlink(this.k(key))
  }

  async deletePrefix(prefix: string): Promise<number> {
    const match = `${globEscape(this.k(prefix))}*`
    let cursor = '0'
    let n = 0
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) n += await this.client.unlink(...keys)
    } while (cursor !== '0')
    return n
  }

  async entries(prefix: string): Promise<Array<[string, string]>> {
    const match = `${globEscape(this.k(prefix))}*`
    const out: Array<[string, string]> = []
    let cursor = '0'
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 500)
      cursor = next
      if (keys.length === 0) continue
      const values = await this.client.mget(...keys)
      keys.forEach((key, i) => {
        const value = values[i]
        // Gone between the scan and the read: not an entry any more.
        if (typeof value === 'string') out.push([key.slice(this.namespace.length), value])
      })
    } while (cursor !== '0')
    return out
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    return Number(await this.scripts.mbIncr(this.k(key), ms(ttlMs)))
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }
}
