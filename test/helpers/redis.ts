import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { RedisStore } from '../../src/store/redis.js'

/**
 * The machine's Redis. It keeps nothing on disk; every test works under its own key prefix and
 * deletes its keys afterwards. Tests that stop Redis start a private `redis-server` instead.
 */
export const REDIS_URL = 'redis://127.0.0.1:6379'

/** A key prefix no other test (or run) uses. */
export function uniquePrefix(what = 'mbtest'): string {
  return `${what}-${process.pid}-${randomBytes(4).toString('hex')}`
}

/** Every key under `prefix` (SCAN, never KEYS). */
export async function keysUnder(raw: Redis, prefix: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    out.push(...keys)
  } while (cursor !== '0')
  return out
}

/** A plain client for looking at what the bot wrote; its keys are deleted when the test ends. */
export function rawRedis(t: { teardown(fn: () => unknown): void }, prefix: string, url = REDIS_URL): Redis {
  const raw = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  raw.on('error', () => {})
  t.teardown(async () => {
    const keys = await keysUnder(raw, prefix).catch(() => [])
    if (keys.length > 0) await raw.unlink(...keys).catch(() => 0)
    raw.disconnect()
  })
  return raw
}

/** A RedisStore on the machine's Redis under a fresh namespace (or a given one), closed at teardown. */
export async function redisStore(
  t: { teardown(fn: () => unknown): void },
  namespace = `${uniquePrefix()}:`,
): Promise<{ store: RedisStore; namespace: string; raw: Redis }> {
  const raw = rawRedis(t, namespace)
  const store = await RedisStore.connect({ url: REDIS_URL, namespace })
  t.teardown(() => store.close())
  return { store, namespace, raw }
}

/**
 * Why the machine's Redis cannot be used (undefined: it answers), for a test to skip with that
 * reason, out loud, rather than fail on every assertion or pass without running.
 */
export async function redisUnreachable(): Promise<string | undefined> {
  try {
    const store = await RedisStore.connect({
      url: REDIS_URL,
      namespace: `${uniquePrefix()}:`,
      connectTimeoutMs: 1000,
    })
    await store.close()
    return undefined
  } catch (err) {
    return `Redis at ${REDIS_URL} is unreachable (${(err as Error).message}): start it to run these checks`
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0))
    })
  })
}

export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGKILL: like a crash; it keeps nothing on disk anyway). */
  stop(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
}

/**
 * A `redis-server` of this test alone, on a free port, keeping nothing on disk: tests stop and
 * restart it. The machine's Redis is never stopped.
 */
export async function privateRedis(t: { teardown(fn: () => unknown): void }): Promise<PrivateRedis> {
  const port = await freePort()
  let proc: ChildProcess | undefined
  const start = async () => {
    const p = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    proc = p
    let out = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 5000)
      p.stdout?.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      p.on('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited with ${code}: ${out}`))
      })
    })
  }
  const stop = async () => {
    const p = proc
    proc = undefined
    if (!p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGKILL')
    await exited
  }
  await start()
  t.teardown(stop)
  return { port, url: `redis://127.0.0.1:${port}`, stop, start }
}
