import t from 'tap'
import { RedisStore, StoreUnavailableError } from '../../src/store/redis.js'
import { redactRedisUrl } from '../../src/store/redis-url.js'
import { freePort, keysUnder, REDIS_URL, redisStore, uniquePrefix } from '../helpers/redis.js'

// The Store contract, on Redis as on every store, is in test/store/contract.test.ts.

t.test('RedisStore writes under its own namespace, with the TTLs asked', async (t) => {
  const { store, namespace, raw } = await redisStore(t)
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
