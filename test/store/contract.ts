import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { type Keyspace, UndeclaredKeyError } from '../../src/store/keyspaces.js'
import type { Store } from '../../src/store/store.js'

/** One keyspace per persistence: every check runs on volatile, behind and confirmed keys alike. */
export const CONTRACT_SPACES: readonly Keyspace[] = [
  { prefix: 'volatile:', owner: 'test/contract', persistence: 'volatile', outage: 'drop' },
  { prefix: 'behind:', owner: 'test/contract', persistence: 'behind', outage: 'add' },
  { prefix: 'confirmed:', owner: 'test/contract', persistence: 'confirmed', outage: 'mirror' },
]

/** A store that keeps its data in a file another connection can read. */
export interface Durable {
  /** Another store on the same data, declared with `CONTRACT_SPACES`; closed at teardown. */
  open(): Promise<Store>
  /** The live rows committed to the file right now, read through a connection of its own. */
  committed(): Map<string, string>
}

export interface ContractOptions {
  /** Why this store takes keys nobody declared; without it, it must refuse them. */
  readonly acceptsUndeclared?: string
  /** The file behind the store, or why there is none. */
  readonly durable: Durable | string
}

/** Runs `check` on a key prefix of every persistence at once: the sleeps overlap. */
async function each(check: (p: string) => Promise<void>): Promise<void> {
  await Promise.all(CONTRACT_SPACES.map((s) => check(s.prefix)))
}

/**
 * The Store contract, on real time with short TTLs, so every implementation runs the same checks:
 * MemoryStore, SqliteStore, RedisStore, ResilientStore over Redis (test/store/contract.test.ts).
 */
export async function contract(t: Test, store: Store, opts: ContractOptions): Promise<void> {
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

  await t.test('entries: every live key under a prefix with its value', (t) =>
    each(async (p) => {
      await store.set(`${p}inbox:a`, 'A')
      await store.set(`${p}inbox:b`, 'B', 10_000)
      await store.set(`${p}inbox:short`, 'S', 40)
      await store.set(`${p}inbox*x`, 'glob')
      await store.set(`${p}elsewhere:c`, 'C')
      await store.delete(`${p}inbox:a`)
      await store.set(`${p}inbox:a`, 'A2')
      await sleep(80)
      const found = (await store.entries(`${p}inbox:`)).sort(([a], [b]) => a.localeCompare(b))
      t.same(
        found,
        [
          [`${p}inbox:a`, 'A2'],
          [`${p}inbox:b`, 'B'],
        ],
        `${p} the newest values, no expired entry, nothing outside the prefix`,
      )
      t.same(await store.entries(`${p}nothing:`), [])
      await store.deletePrefix(`${p}inbox`)
      await store.delete(`${p}elsewhere:c`)
    }),
  )

  await t.test(
    'a key outside every declared keyspace is refused',
    { skip: opts.acceptsUndeclared ?? false },
    async (t) => {
      for (const key of ['nobody:x', 'no-colon', ':x']) {
        await t.rejects(store.get(key), UndeclaredKeyError, `get ${key}`)
        await t.rejects(store.set(key, 'v'), UndeclaredKeyError, `set ${key}`)
        await t.rejects(store.setIfAbsent(key, 'v', 1000), UndeclaredKeyError)
        await t.rejects(store.compareAndSet(key, 'v', 'w'), UndeclaredKeyError)
        await t.rejects(store.compareAndDelete(key, 'v'), UndeclaredKeyError)
        await t.rejects(store.delete(key), UndeclaredKeyError)
        await t.rejects(store.increment(key, 1000), UndeclaredKeyError)
      }
      await t.rejects(store.entries('nobody:'), UndeclaredKeyError, 'entries outside every keyspace')
      await t.rejects(store.deletePrefix('nobody:'), UndeclaredKeyError, 'a prefix outside every keyspace')
      await t.rejects(store.deletePrefix('behind'), UndeclaredKeyError, 'a prefix across keyspaces')
    },
  )

  const durable = opts.durable
  await t.test(
    'persistence is what the keyspace declared',
    { skip: typeof durable === 'string' && durable },
    async (t) => {
      if (typeof durable === 'string') return
      const first = await durable.open()
      await first.set('volatile:v', 'gone')
      await first.increment('volatile:n', 60_000)
      await first.set('behind:b', 'kept', 60_000)
      await first.setIfAbsent('behind:claim', 'x', 60_000)
      await first.close()
      const committed = [...durable.committed().keys()]
      t.notOk(
        committed.some((k) => k.startsWith('volatile:')),
        'volatile keys never reach the file',
      )
      t.ok(committed.includes('behind:b'), 'behind keys are in the file after a clean close')
      const second = await durable.open()
      t.equal(await second.get('volatile:v'), undefined, 'volatile: gone after a reopen')
      t.equal(await second.get('volatile:n'), undefined)
      t.equal(await second.get('behind:b'), 'kept', 'behind: survives a clean close and reopen')
      t.equal(await second.setIfAbsent('behind:claim', 'y', 60_000), false, 'a claim too')

      // Confirmed: in the file the moment the promise resolves, and another store on the file (as
      // after a crash: nothing of this one's memory) sees it.
      await second.set('confirmed:s', 'v1')
      t.equal(durable.committed().get('confirmed:s'), 'v1', 'set: committed when it resolves')
      t.equal(await second.setIfAbsent('confirmed:once', 'a', 60_000), true)
      t.equal(durable.committed().get('confirmed:once'), 'a', 'setIfAbsent: committed')
      t.equal(await second.compareAndSet('confirmed:s', 'v1', 'v2'), true)
      t.equal(durable.committed().get('confirmed:s'), 'v2', 'compareAndSet: committed')
      t.equal(await second.increment('confirmed:n', 60_000), 1)
      t.equal(await second.increment('confirmed:n', 60_000), 2)
      t.equal(durable.committed().get('confirmed:n'), '2', 'increment: committed')
      t.equal(await second.compareAndDelete('confirmed:once', 'a'), true)
      t.notOk(durable.committed().has('confirmed:once'), 'compareAndDelete: committed')
      await second.set('confirmed:gone', 'x')
      t.ok(durable.committed().has('confirmed:gone'))
      await second.delete('confirmed:gone')
      t.notOk(durable.committed().has('confirmed:gone'), 'delete: committed')
      await second.set('behind:room:1', 'x', 60_000)
      await second.set('confirmed:room:1', 'x')
      // Written behind: in the file within milliseconds, not necessarily when `set` resolved.
      for (let i = 0; i < 100 && !durable.committed().has('behind:room:1'); i++) await sleep(10)
      t.ok(durable.committed().has('behind:room:1'), 'behind: in the file soon after')
      t.equal(await second.deletePrefix('behind:room:'), 1)
      t.notOk(
        durable.committed().has('behind:room:1'),
        'deletePrefix: committed when it resolves, even behind',
      )
      t.equal(await second.deletePrefix('confirmed:room:'), 1)
      t.notOk(durable.committed().has('confirmed:room:1'))
      const beside = await durable.open()
      t.equal(await beside.get('confirmed:s'), 'v2', 'survives a reopen right after the write resolved')
      t.equal(await beside.get('confirmed:n'), '2')
      t.equal(await beside.get('confirmed:once'), undefined)
    },
  )
}
