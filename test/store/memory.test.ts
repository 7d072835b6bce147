import t from 'tap'
import { Deduper } from '../../src/core/dedupe.js'
import { LocalFlight } from '../../src/core/flight.js'
import { MemoryStore } from '../../src/store/memory.js'

t.test('get/set/ttl/delete', async (t) => {
  let now = 0
  const s = new MemoryStore({ clock: () => now })
  await s.set('a', '1', 100)
  await s.set('forever', 'x')
  t.equal(await s.get('a'), '1')
  now = 100
  t.equal(await s.get('a'), undefined, 'expired at its TTL')
  t.equal(await s.get('forever'), 'x')
  await s.delete('forever')
  t.equal(await s.get('forever'), undefined)
})

t.test('setIfAbsent: first wins until the entry expires', async (t) => {
  let now = 0
  const s = new MemoryStore({ clock: () => now })
  t.equal(await s.setIfAbsent('k', 'a', 50), true)
  t.equal(await s.setIfAbsent('k', 'b', 50), false)
  t.equal(await s.get('k'), 'a')
  now = 60
  t.equal(await s.setIfAbsent('k', 'c', 50), true, 'a lapsed claim can be taken over')
})

t.test('increment: counts within a window that starts at the first hit', async (t) => {
  let now = 0
  const s = new MemoryStore({ clock: () => now })
  t.equal(await s.increment('c', 100), 1)
  now = 50
  t.equal(await s.increment('c', 100), 2)
  now = 100
  t.equal(await s.increment('c', 100), 1, 'new window')
})

t.test('deletePrefix', async (t) => {
  const s = new MemoryStore()
  await s.set('meeting:a', '1')
  await s.set('meeting:b', '1')
  await s.set('dedupe:a', '1')
  t.equal(await s.deletePrefix('meeting:'), 2)
  t.equal(await s.get('dedupe:a'), '1')
})

t.test('bounded: the oldest expiring writes go first; permanent entries stay', async (t) => {
  const s = new MemoryStore({ maxEntries: 3 })
  await s.set('settings:c1', 'keep')
  for (const k of ['a', 'b', 'c', 'd']) await s.set(k, k, 60_000)
  t.equal(s.size, 3)
  t.equal(await s.get('settings:c1'), 'keep', 'no TTL: never evicted')
  t.equal(await s.get('a'), undefined)
  t.equal(await s.get('b'), undefined)
  t.equal(await s.get('d'), 'd')
  const all = new MemoryStore({ maxEntries: 2 })
  for (const k of ['x', 'y', 'z']) await all.set(k, k)
  t.equal(all.size, 3, 'only permanent entries: over the bound rather than losing one')
  await s.close()
  t.equal(s.size, 0)
})

t.test('dedupe ledger: claimed → done; a lapsed claim is taken over', async (t) => {
  let now = 0
  const store = new MemoryStore({ clock: () => now })
  const d = new Deduper(store, { leaseMs: 100, ttlMs: 10_000 })
  t.equal(await d.claim('m1'), true)
  t.equal(await d.claim('m1'), false, 'in progress elsewhere')
  now = 150
  t.equal(await d.claim('m1'), true, 'the instance holding it died: lease lapsed')
  await d.done('m1')
  now = 5000
  t.equal(await d.claim('m1'), false, 'answered: remembered')
  t.equal(await store.get('dedupe:m1'), 'done')
  now = 20_000
  t.equal(await d.claim('m1'), true, 'forgotten after the TTL')
})

t.test('LocalFlight shares one execution per key, then forgets it', async (t) => {
  const f = new LocalFlight()
  let runs = 0
  const work = async () => {
    runs++
    await new Promise((r) => setTimeout(r, 10))
    return runs
  }
  const [a, b] = await Promise.all([f.run('k', work), f.run('k', work)])
  t.equal(a, 1)
  t.equal(b, 1)
  t.equal(await f.run('k', work), 2)
  await t.rejects(
    f.run('x', async () => Promise.reject(new Error('boom'))),
    /boom/,
  )
  t.equal(await f.run('x', async () => 'ok'), 'ok', 'a failure is not remembered')
})

t.test(
  'bounded: evicts a batch (1/64 of the bound) in one walk, oldest first; size never above the bound',
  async (t) => {
    const s = new MemoryStore({ maxEntries: 128 })
    await s.set('settings:c1', 'keep')
    for (let i = 0; i < 128; i++) await s.set(`k${i}`, 'v', 60_000)
    t.equal(s.size, 126, '129 entries > 128: down to 128 - 2 in one walk')
    t.equal(await s.get('settings:c1'), 'keep')
    t.equal(await s.get('k2'), undefined, 'the three oldest expiring entries went')
    t.equal(await s.get('k3'), 'v')
    let max = 0
    for (let i = 128; i < 1000; i++) {
      await s.set(`k${i}`, 'v', 60_000)
      max = Math.max(max, s.size)
    }
    t.equal(max, 128, 'never above the bound')
    t.equal(await s.get('k999'), 'v')
    // Mostly permanent: over the bound rather than losing a chat's settings; expiring ones still go.
    const p = new MemoryStore({ maxEntries: 64 })
    for (let i = 0; i < 70; i++) await p.set(`settings:${i}`, 'keep')
    for (let i = 0; i < 10; i++) await p.set(`x${i}`, 'v', 60_000)
    t.ok(p.size >= 70 && p.size <= 71, `permanent entries kept, expiring ones evicted (size ${p.size})`)
    t.equal(await p.get('x9'), p.size === 71 ? 'v' : undefined)
    t.equal(await p.get('settings:0'), 'keep')
  },
)

t.test('bounded: an entry read since it was written outlives a flood of newer writes (CLOCK)', async (t) => {
  const s = new MemoryStore({ maxEntries: 64 })
  await s.set('meeting:conf:hot', 'card', 60_000)
  await s.set('meeting:conf:cold', 'card', 60_000)
  for (let i = 0; i < 1000; i++) {
    await s.set(`dedupe:m${i}`, 'done', 60_000)
    if (i % 50 === 0) t.equal(await s.get('meeting:conf:hot'), 'card', `read at write ${i}`)
  }
  t.equal(await s.get('meeting:conf:hot'), 'card', 'kept: read between walks')
  t.equal(await s.get('meeting:conf:cold'), undefined, 'never read: evicted in turn')
  t.ok(s.size <= 64)
})

t.test('undeclared, any key goes; once declared, a key outside the keyspaces is refused', async (t) => {
  const s = new MemoryStore()
  await s.set('anything', 'x')
  s.declare([])
  t.equal(await s.get('anything'), 'x', 'an empty declaration changes nothing')
  s.declare([{ prefix: 'dedupe:', owner: 'test', persistence: 'behind', outage: 'add' }])
  t.equal(await s.setIfAbsent('dedupe:m1', 'done', 1000), true)
  await t.rejects(s.get('anything'), { name: 'UndeclaredKeyError' })
  await t.rejects(s.increment('rate:u', 1000), { name: 'UndeclaredKeyError', message: /"rate:u"/ })
  await t.rejects(s.deletePrefix('meeting:'), { name: 'UndeclaredKeyError' })
  t.equal(s.getNow('anything'), 'x', 'the synchronous forms, for a store this one fronts, do not check')
})
