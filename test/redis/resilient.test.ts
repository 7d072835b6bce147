import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Keyspace } from '../../src/store/keyspaces.js'
import { MemoryStore } from '../../src/store/memory.js'
import { RedisStore } from '../../src/store/redis.js'
import { type PrimaryStore, ResilientStore } from '../../src/store/resilient.js'
import { captureLogger, waitFor } from '../helpers/index.js'
import { privateRedis, uniquePrefix } from '../helpers/redis.js'

/** A shared store we can switch off: every call fails while `down`. */
class Switchable extends MemoryStore implements PrimaryStore {
  override readonly kind = 'fake-redis'
  readonly shared = true
  down = false
  calls = 0
  private listener: ((reason: string) => void) | undefined

  constructor() {
    super()
    for (const name of [
      'get',
      'set',
      'setIfAbsent',
      'compareAndSet',
      'compareAndDelete',
      'delete',
      'deletePrefix',
      'increment',
    ] as const) {
      const original = this[name].bind(this) as (...args: unknown[]) => Promise<unknown>
      ;(this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        this.calls++
        return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : original(...args)
      }
    }
  }

  async ping(): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED')
  }

  onDown(listener: (reason: string) => void): void {
    this.listener = listener
  }

  drop(reason: string): void {
    this.down = true
    this.listener?.(reason)
  }
}

const space = (prefix: string, outage: Keyspace['outage']): Keyspace => ({
  prefix,
  owner: 'test/resilient',
  persistence: 'behind',
  outage,
})
/** As the bot's owners declare them: the ledger is added back, settings mirrored, the rest dropped. */
const SPACES = [
  space('dedupe:', 'add'),
  space('settings:', 'mirror'),
  space('rate:', 'drop'),
  space('meeting:', 'drop'),
]

function setup(t: { teardown(fn: () => unknown): void }) {
  const primary = new Switchable()
  const { log, capture } = captureLogger()
  const store = new ResilientStore(primary, { log, probeMs: 20 })
  store.declare(SPACES)
  t.teardown(() => store.close())
  return { primary, store, capture }
}

t.test('healthy: everything goes to the shared store', async (t) => {
  const { primary, store } = setup(t)
  t.equal(store.shared, true)
  t.equal(store.kind, 'fake-redis')
  t.same(store.health(), { state: 'ok', detail: 'fake-redis: connected' })
  await store.set('meeting:a', '1')
  t.equal(await primary.get('meeting:a'), '1')
  t.equal(await store.setIfAbsent('meeting:b', 'x', 1000), true)
  t.equal(await store.compareAndSet('meeting:b', 'x', 'y', 1000), true)
  t.equal(await store.compareAndDelete('meeting:b', 'y'), true)
  t.equal(await store.increment('rate:c', 1000), 1)
  await store.delete('meeting:a')
  t.equal(await store.deletePrefix('rate:'), 1)
  t.equal(await primary.get('meeting:a'), undefined)
  await t.rejects(store.set('nobody:a', '1'), { name: 'UndeclaredKeyError' }, 'a key nobody declared')
  await t.rejects(
    primary.get('nobody:a'),
    { name: 'UndeclaredKeyError' },
    'the declarations reach the primary',
  )
})

t.test(
  'down: answers from local memory, logs once, says degraded; back: writes back and returns',
  async (t) => {
    const { primary, store, capture } = setup(t)
    await store.set('settings:c1', '{"locale":"en"}')
    await primary.set('dedupe:shared-done', 'done', 60_000)
    await store.get('settings:c2') // not set anywhere: nothing to mirror
    await primary.set('settings:c3', '{"timeZone":"UTC"}')
    t.equal(await store.get('settings:c3'), '{"timeZone":"UTC"}', 'read while healthy: mirrored too')

    primary.down = true
    t.equal(
      await store.get('settings:c1'),
      '{"locale":"en"}',
      'settings were mirrored: a chat keeps its language',
    )
    t.equal(store.health().state, 'degraded')
    t.match(store.health().detail, /fake-redis unavailable since .*ECONNREFUSED.*local de-dup and caches/)
    t.equal(store.kind, 'fake-redis (degraded: local memory)')
    const callsWhenDown = primary.calls
    for (let i = 0; i < 20; i++) {
      t.equal(await store.setIfAbsent(`dedupe:m${i}`, 'claimed:me', 60_000), true)
      await store.set(`dedupe:m${i}`, 'done', 60_000)
      await store.increment('rate:u', 60_000)
    }
    t.equal(primary.calls, callsWhenDown, 'no more calls to the shared store: no waiting for it per message')
    t.equal(await store.setIfAbsent('dedupe:m1', 'claimed:other', 60_000), false, 'local de-dup works')
    t.equal(await store.setIfAbsent('dedupe:shared-done', 'claimed:me', 60_000), true)
    await store.set('settings:c1', '{"locale":"zh-CN"}')
    await store.set('meeting:conf:1', '{}', 60_000)
    t.equal(await store.compareAndDelete('meeting:conf:1', '{}'), true)
    await store.delete('settings:none')
    t.equal(await store.deletePrefix('rate:'), 1)
    t.equal(
      capture.find(
        'shared store unavailable: answering in degraded mode (local de-dup and caches) until it returns',
      ).length,
      1,
      'logged once, not per message',
    )

    primary.down = false
    await waitFor(() => store.health().state === 'ok', 2000, 'recovery')
    t.equal(capture.find('shared store available again').length, 1)
    t.equal(await primary.get('dedupe:m7'), 'done', 'the ledger written during the outage went back')
    t.equal(await primary.get('dedupe:shared-done'), 'done', 'the shared ledger wins a conflict')
    t.equal(await primary.get('settings:c1'), '{"locale":"zh-CN"}', 'a setting changed meanwhile went back')
    t.equal(await primary.get('meeting:conf:1'), undefined, 'caches do not')
    t.equal(await store.get('dedupe:m7'), 'done', 'reads go to the shared store again')
    t.equal(await store.setIfAbsent('dedupe:m8', 'claimed:other', 1000), false)
    t.equal(store.kind, 'fake-redis')
  },
)

t.test('a dropped connection degrades at once, before any operation fails', async (t) => {
  const { primary, store, capture } = setup(t)
  primary.drop('connection to Redis closed')
  t.equal(store.health().state, 'degraded')
  primary.drop('again')
  t.equal(
    capture.find(
      'shared store unavailable: answering in degraded mode (local de-dup and caches) until it returns',
    ).length,
    1,
  )
  primary.down = false
  await waitFor(() => store.health().state === 'ok', 2000, 'recovery')
})

t.test('a write-back that fails keeps the key for the next probe', async (t) => {
  const { primary, store } = setup(t)
  primary.down = true
  await store.set('settings:c9', 'x')
  primary.down = false
  const original = primary.set.bind(primary)
  let failures = 1
  primary.set = (k: string, v: string, ttl?: number) =>
    failures-- > 0 ? Promise.reject(new Error('flaky')) : original(k, v, ttl)
  await waitFor(() => store.health().state === 'ok', 2000, 'recovery')
  t.equal(await primary.get('settings:c9'), 'x')
})

t.test('against a real Redis that goes away and comes back (private redis-server)', async (t) => {
  const redis = await privateRedis(t)
  const namespace = `${uniquePrefix()}:`
  const primary = await RedisStore.connect({ url: redis.url, namespace, maxReconnectDelayMs: 200 })
  const { log, capture } = captureLogger()
  const store = new ResilientStore(primary, { log, probeMs: 50 })
  store.declare([space('dedupe:', 'add')])
  t.teardown(() => store.close())
  t.equal(await store.setIfAbsent('dedupe:before', 'done', 60_000), true)

  await redis.stop()
  await waitFor(() => store.health().state === 'degraded', 2000, 'degraded on the dropped connection')
  const started = Date.now()
  for (let i = 0; i < 50; i++) await store.setIfAbsent(`dedupe:m${i}`, 'done', 60_000)
  t.ok(Date.now() - started < 200, `50 operations while Redis is down took ${Date.now() - started} ms`)
  t.equal(
    await primary.get('x').catch((e: Error) => e.message),
    "Stream isn't writeable and enableOfflineQueue options is false",
    'the client fails fast, it does not queue',
  )

  await redis.start()
  await waitFor(() => store.health().state === 'ok', 5000, 'recovered')
  t.equal(await primary.get('dedupe:m49'), 'done', 'written back to the restarted (empty) Redis')
  t.equal(await primary.get('dedupe:before'), undefined, 'what Redis held before is gone: it kept nothing')
  t.equal(capture.find('shared store available again').length, 1)
  await sleep(10)
})

t.test('a Redis store closed while Redis is away closes quietly', async (t) => {
  const redis = await privateRedis(t)
  const store = await RedisStore.connect({ url: redis.url, namespace: 'x:', maxReconnectDelayMs: 50 })
  const reasons: string[] = []
  store.onDown((reason) => reasons.push(reason))
  await redis.stop()
  await waitFor(() => reasons.length >= 2, 3000, 'a failed reconnection reported')
  t.match(reasons.at(-1), /ECONNREFUSED/, 'the reason is the connection error')
  await store.close()
  t.pass('closed')
})
