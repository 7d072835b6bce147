import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { redactRedisUrl } from '../../src/config.js'
import { MemoryStore } from '../../src/store/memory.js'
import { RedisStore, StoreUnavailableError } from '../../src/store/redis.js'
import { SqliteStore } from '../../src/store/sqlite.js'
import type { Store } from '../../src/store/store.js'
import { freePort, keysUnder, REDIS_URL, redisStore, uniquePrefix } from '../helpers/redis.js'

/** The Store contract, on real time with short TTLs, so every implementation runs the same checks. */
async function contract(t: Test, store: Store): Promise<void> {
  await t.test('get/set/ttl/delete', async (t) => {
    await store.set('a', '1', 80)
    await store.set('forever', 'x')
    t.equal(await store.get('a'), '1')
    t.equal(await store.get('missing'), undefined)
    await sleep(120)
    t.equal(await store.get('a'), undefined, 'expired at its TTL')
    t.equal(await store.get('forever'), 'x')
    await store.delete('forever')
    t.equal(await store.get('forever'), undefined)
  })

  await t.test('setIfAbsent: first wins until the entry expires', async (t) => {
    const results = await Promise.all([1, 2, 3, 4].map((i) => store.setIfAbsent('k', `v${i}`, 80)))
    t.same(results.filter(Boolean).length, 1, 'exactly one of concurrent callers sets it')
    t.equal(await store.setIfAbsent('k', 'late', 80), false)
    await sleep(120)
    t.equal(await store.setIfAbsent('k', 'c', 80), true, 'a lapsed claim can be taken over')
    t.equal(await store.get('k'), 'c')
  })

  await t.test('compareAndSet / compareAndDelete only act on the expected value', async (t) => {
    await store.set('lock', 'mine', 80)
    t.equal(await store.compareAndSet('lock', 'theirs', 'x', 80), false)
    t.equal(await store.compareAndSet('lock', 'mine', 'mine', 300), true, 'renewed')
    await sleep(120)
    t.equal(await store.get('lock'), 'mine', 'the renewal extended it')
    t.equal(await store.compareAndDelete('lock', 'theirs'), false)
    t.equal(await store.get('lock'), 'mine')
    t.equal(await store.compareAndDelete('lock', 'mine'), true)
    t.equal(await store.get('lock'), undefined)
    t.equal(await store.compareAndSet('lock', 'mine', 'x'), false, 'absent: nothing to compare')
    t.equal(await store.compareAndDelete('lock', 'mine'), false)
    await store.set('p', 'a', 60)
    t.equal(await store.compareAndSet('p', 'a', 'b'), true, 'without a TTL...')
    await sleep(100)
    t.equal(await store.get('p'), 'b', '...it never expires')
    await store.delete('p')
  })

  await t.test('increment: counts within a window that starts at the first hit', async (t) => {
    const counts = await Promise.all(Array.from({ length: 10 }, () => store.increment('c', 150)))
    t.same(
      [...counts].sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      'atomic under concurrency',
    )
    await sleep(200)
    t.equal(await store.increment('c', 150), 1, 'new window')
    await store.delete('c')
  })

  await t.test('deletePrefix', async (t) => {
    await store.set('meeting:a', '1')
    await store.set('meeting:b', '1', 10_000)
    await store.set('meeting*x', '1')
    await store.set('dedupe:a', '1')
    t.equal(await store.deletePrefix('meeting:'), 2)
    t.equal(await store.get('dedupe:a'), '1')
    t.equal(await store.get('meeting*x'), '1', 'glob characters in keys are literal')
    t.equal(await store.deletePrefix('meeting*'), 1)
    t.equal(await store.deletePrefix('nothing:'), 0)
    await store.delete('dedupe:a')
  })
}

t.test('MemoryStore keeps the contract', async (t) => {
  const store = new MemoryStore()
  await contract(t, store)
  await store.set('x', 'y', 50)
  t.same(store.peek('x')?.value, 'y')
  t.ok((store.peek('x')?.ttlMs ?? 0) <= 50)
  await store.set('z', 'forever')
  t.same(store.peek('z'), { value: 'forever', ttlMs: undefined })
  t.equal(store.peek('none'), undefined)
  t.same(store.keys(), ['x', 'z'])
  await store.close()
})

t.test('SqliteStore keeps the contract', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meeting-bot-contract-'))
  const store = await SqliteStore.open(dir)
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await contract(t, store)
})

t.test('RedisStore keeps the contract, under its own namespace', async (t) => {
  const { store, namespace, raw } = await redisStore(t)
  t.equal(store.kind, 'redis')
  t.equal(store.shared, true)
  // A neighbour sharing the Redis, with a prefix that globs would confuse: never touched.
  const neighbour = `${namespace.slice(0, -1)}*:`
  await raw.set(`${neighbour}meeting:a`, 'theirs')
  t.teardown(() => raw.unlink(`${neighbour}meeting:a`))
  await contract(t, store)
  t.equal(await raw.get(`${neighbour}meeting:a`), 'theirs', 'other namespaces are left alone')

  await store.set('settings:c1', '{}')
  await store.setIfAbsent('dedupe:m1', 'claimed:x', 60_000)
  await store.increment('rate:user:u:1', 60_000)
  t.same((await keysUnder(raw, namespace)).sort(), [
    `${namespace}dedupe:m1`,
    `${namespace}rate:user:u:1`,
    `${namespace}settings:c1`,
  ])
  t.equal(await raw.pttl(`${namespace}settings:c1`), -1, 'settings persist')
  t.ok((await raw.pttl(`${namespace}dedupe:m1`)) > 59_000, 'a claim carries its lease')
  t.ok((await raw.pttl(`${namespace}rate:user:u:1`)) > 59_000, 'a counter carries its window')
  await raw.persist(`${namespace}rate:user:u:1`)
  t.equal(await store.increment('rate:user:u:1', 5000), 2)
  t.ok((await raw.pttl(`${namespace}rate:user:u:1`)) > 0, 'a counter that lost its TTL gets it back')
  await store.ping()
  await store.close()
  await store.close()
})

t.test('Redis unreachable at start-up: a clear error that never shows the password', async (t) => {
  const port = await freePort()
  const url = `redis://:hunter2-very-secret@127.0.0.1:${port}/0`
  const started = Date.now()
  const err = (await RedisStore.connect({ url, namespace: 'x:' }).catch((e: unknown) => e)) as Error
  t.type(err, StoreUnavailableError)
  t.match(err.message, `cannot use Redis at redis://:***@127.0.0.1:${port}/0 (REDIS_URL): `)
  t.match(err.message, /ECONNREFUSED/)
  t.notMatch(err.message, 'hunter2')
  t.ok(Date.now() - started < 3000, 'fails fast')

  const wrong = (await RedisStore.connect({
    url: REDIS_URL.replace('redis://', 'redis://nobody:wrong@'),
    namespace: 'x:',
  }).catch((e: unknown) => e)) as Error
  t.type(wrong, StoreUnavailableError, 'refused credentials too')
  t.notMatch(wrong.message, 'wrong@')
})

t.test('redactRedisUrl', async (t) => {
  t.equal(redactRedisUrl('redis://u:p@h:1/2'), 'redis://u:***@h:1/2')
  t.equal(redactRedisUrl('rediss://h:6380'), 'rediss://h:6380')
  t.equal(redactRedisUrl('::nonsense'), '(not a URL)')
  t.equal(uniquePrefix('a').startsWith('a-'), true)
})
