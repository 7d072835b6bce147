import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { Keyspace } from '../../src/store/keyspaces.js'
import type { Store } from '../../src/store/store.js'

/** One keyspace per persistence: every check runs on volatile, behind and confirmed keys alike. */
export const CONTRACT_SPACES: readonly Keyspace[] = [
  { prefix: 'volatile:', owner: 'test/contract', persistence: 'volatile', outage: 'drop' },
  { prefix: 'behind:', owner: 'test/contract', persistence: 'behind', outage: 'add' },
  { prefix: 'confirmed:', owner: 'test/contract', persistence: 'confirmed', outage: 'mirror' },
]

/** Runs `check` on a key prefix of every persistence at once: the sleeps overlap. */
async function each(check: (p: string) => Promise<void>): Promise<void> {
  await Promise.all(CONTRACT_SPACES.map((s) => check(s.prefix)))
}

/**
 * The Store contract, on real time with short TTLs, so every implementation runs the same checks:
 * MemoryStore, SqliteStore, RedisStore, ResilientStore over Redis (test/store/contract.test.ts).
 */
export async function contract(t: Test, store: Store): Promise<void> {
  store.declare(CONTRACT_SPACES)

  await t.test('get/set/ttl/delete', (t) =>
    each(async (p) => {
      await store.set(`${p}a`, '1', 80)
      await store.set(`${p}forever`, 'x')
      t.equal(await store.get(`${p}a`), '1')
      t.equal(await store.get(`${p}missing`), undefined)
      await sleep(120)
      t.equal(await store.get(`${p}a`), undefined, `${p} expired at its TTL`)
      t.equal(await store.get(`${p}forever`), 'x')
      await store.delete(`${p}forever`)
      t.equal(await store.get(`${p}forever`), undefined)
    }),
  )

  await t.test('setIfAbsent: first wins until the entry expires', (t) =>
    each(async (p) => {
      const results = await Promise.all([1, 2, 3, 4].map((i) => store.setIfAbsent(`${p}k`, `v${i}`, 80)))
      t.same(results.filter(Boolean).length, 1, `${p} exactly one of concurrent callers sets it`)
      t.equal(await store.setIfAbsent(`${p}k`, 'late', 80), false)
      await sleep(120)
      t.equal(await store.setIfAbsent(`${p}k`, 'c', 80), true, `${p} a lapsed claim can be taken over`)
      t.equal(await store.get(`${p}k`), 'c')
    }),
  )

  await t.test('compareAndSet / compareAndDelete only act on the expected value', (t) =>
    each(async (p) => {
      const lock = `${p}lock`
      await store.set(lock, 'mine', 80)
      t.equal(await store.compareAndSet(lock, 'theirs', 'x', 80), false)
      t.equal(await store.compareAndSet(lock, 'mine', 'mine', 300), true, `${p} renewed`)
      await sleep(120)
      t.equal(await store.get(lock), 'mine', `${p} the renewal extended it`)
      t.equal(await store.compareAndDelete(lock, 'theirs'), false)
      t.equal(await store.get(lock), 'mine')
      t.equal(await store.compareAndDelete(lock, 'mine'), true)
      t.equal(await store.get(lock), undefined)
      t.equal(await store.compareAndSet(lock, 'mine', 'x'), false, `${p} absent: nothing to compare`)
      t.equal(await store.compareAndDelete(lock, 'mine'), false)
      await store.set(`${p}p`, 'a', 60)
      t.equal(await store.compareAndSet(`${p}p`, 'a', 'b'), true, `${p} without a TTL...`)
      await sleep(100)
      t.equal(await store.get(`${p}p`), 'b', `${p} ...it never expires`)
      await store.delete(`${p}p`)
    }),
  )

  await t.test('increment: counts within a window that starts at the first hit', (t) =>
    each(async (p) => {
      const counts = await Promise.all(Array.from({ length: 10 }, () => store.increment(`${p}c`, 150)))
      t.same(
        [...counts].sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        `${p} atomic under concurrency`,
      )
      await sleep(200)
      t.equal(await store.increment(`${p}c`, 150), 1, `${p} new window`)
      await store.delete(`${p}c`)
    }),
  )

  await t.test('deletePrefix', (t) =>
    each(async (p) => {
      await store.set(`${p}room:a`, '1')
      await store.set(`${p}room:b`, '1', 10_000)
      await store.set(`${p}room*x`, '1')
      await store.set(`${p}other:a`, '1')
      t.equal(await store.deletePrefix(`${p}room:`), 2)
      t.equal(await store.get(`${p}other:a`), '1')
      t.equal(await store.get(`${p}room*x`), '1', `${p} glob characters in keys are literal`)
      t.equal(await store.deletePrefix(`${p}room*`), 1)
      t.equal(await store.deletePrefix(`${p}nothing:`), 0)
      t.equal(await store.get(`${p}room:a`), undefined, `${p} deleted stays deleted`)
      await store.delete(`${p}other:a`)
    }),
  )
}
