import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { MemoryStore } from '../../src/store/memory.js'
import { ResilientStore } from '../../src/store/resilient.js'
import { DATA_FILE, SqliteStore } from '../../src/store/sqlite.js'
import { captureLogger } from '../helpers/index.js'
import { redisStore, redisUnreachable } from '../helpers/redis.js'
import { CONTRACT_SPACES, contract } from './contract.js'

t.test('MemoryStore keeps the contract', async (t) => {
  const store = new MemoryStore()
  await contract(t, store, { durable: 'a MemoryStore keeps nothing past the process' })
  await store.set('volatile:x', 'y', 50)
  t.same(store.peek('volatile:x')?.value, 'y')
  t.ok((store.peek('volatile:x')?.ttlMs ?? 0) <= 50)
  await store.set('volatile:z', 'forever')
  t.same(store.peek('volatile:z'), { value: 'forever', ttlMs: undefined })
  t.equal(store.peek('none'), undefined)
  t.same(store.keys(), ['volatile:x', 'volatile:z'], 'the contract left nothing live behind')
  await store.close()
})

t.test('SqliteStore keeps the contract', async (t) => {
  const dir = t.testdir()
  const store = await SqliteStore.open(dir)
  t.teardown(() => store.close())
  await contract(t, store, {
    durable: {
      async open() {
        const s = await SqliteStore.open(dir)
        s.declare(CONTRACT_SPACES)
        t.teardown(() => s.close())
        return s
      },
      committed() {
        const db = new Database(join(dir, DATA_FILE), { readonly: true })
        try {
          const rows = db.prepare('SELECT key, value FROM kv WHERE expires_at > ?').all(Date.now()) as Array<{
            key: string
            value: string
          }>
          return new Map(rows.map((r) => [r.key, r.value]))
        } finally {
          db.close()
        }
      },
    },
  })
})

t.test('RedisStore and the fallback in front of it keep the contract', async (t) => {
  const unreachable = await redisUnreachable()
  await t.test('RedisStore, under its own namespace', { skip: unreachable ?? false }, async (t) => {
    const { store, namespace, raw } = await redisStore(t)
    t.equal(store.kind, 'redis')
    t.equal(store.shared, true)
    // A neighbour sharing the Redis, with a prefix that globs would confuse: never touched.
    const neighbour = `${namespace.slice(0, -1)}*:`
    const theirs = CONTRACT_SPACES.map((s) => `${neighbour}${s.prefix}room:a`)
    for (const key of theirs) await raw.set(key, 'theirs')
    t.teardown(() => raw.unlink(...theirs))
    await contract(t, store, {
      acceptsUndeclared: 'Redis keeps every key alike; the fallback in front of it checks them',
      durable: 'Redis keeps what its own configuration keeps',
    })
    for (const key of theirs) t.equal(await raw.get(key), 'theirs', 'other namespaces are left alone')
  })

  await t.test('ResilientStore over Redis', { skip: unreachable ?? false }, async (t) => {
    const { store: redis } = await redisStore(t)
    const store = new ResilientStore(redis, { log: captureLogger().log })
    t.teardown(() => store.close())
    await contract(t, store, { durable: 'it keeps what Redis keeps' })
    t.same(store.health(), { state: 'ok', detail: 'redis: connected' }, 'never fell back')
  })
})
