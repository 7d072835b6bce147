import t from 'tap'
import { MemoryStore } from '../../src/store/memory.js'
import { ScopedStore } from '../../src/store/scoped.js'
import { SqliteStore } from '../../src/store/sqlite.js'
import { CONTRACT_SPACES, contract } from './contract.js'

const SPACES = [
  ...CONTRACT_SPACES,
  { prefix: 'meeting:', owner: 'test', persistence: 'volatile', outage: 'drop' },
  { prefix: 'meeting-lease:', owner: 'test', persistence: 'volatile', outage: 'drop' },
] as const

t.test('ScopedStore over SQLite keeps the Store contract', async (t) => {
  const base = await SqliteStore.open(t.testdir())
  t.teardown(() => base.close())
  base.declare(SPACES)
  await contract(t, new ScopedStore(base, 'dingcorpAlpha', SPACES), {
    durable: 'its keys are kept as the base store keeps them (the SqliteStore contract checks that)',
  })
})

t.test('two scopes on one store never see each other’s keys', async (t) => {
  const base = new MemoryStore()
  base.declare(SPACES)
  const a = new ScopedStore(base, 'dingcorpAlpha', SPACES)
  const b = new ScopedStore(base, 'dingcorpBeta', SPACES)
  await a.set('meeting:615902734', 'alpha title')
  await b.set('meeting:615902734', 'beta title')
  await a.set('meeting-lease:615902734', 'lease a')
  t.equal(await a.get('meeting:615902734'), 'alpha title')
  t.equal(await b.get('meeting:615902734'), 'beta title')
  t.equal(await b.get('meeting-lease:615902734'), undefined, 'the longer prefix is its own space')
  t.same(
    base.keys().sort(),
    [
      'meeting-lease:dingcorpAlpha/615902734',
      'meeting:dingcorpAlpha/615902734',
      'meeting:dingcorpBeta/615902734',
    ],
    'each key stays in its keyspace, the scope right after the prefix',
  )
  t.same(
    await a.entries('meeting:'),
    [['meeting:615902734', 'alpha title']],
    'entries: own keys, unscoped names',
  )
  t.equal(await b.deletePrefix('meeting:'), 1, 'deletePrefix: own keys only')
  t.equal(await a.get('meeting:615902734'), 'alpha title')
  t.ok(await a.setIfAbsent('volatile:claim', 'a', 1000))
  t.ok(await b.setIfAbsent('volatile:claim', 'b', 1000), 'a claim of one scope is not the other’s')
  t.equal(await a.increment('volatile:n', 1000), 1)
  t.equal(await b.increment('volatile:n', 1000), 1)
  t.ok(await a.compareAndSet('volatile:claim', 'a', 'a2'))
  t.notOk(await b.compareAndSet('volatile:claim', 'a2', 'x'), 'compare-and-set sees only its own value')
  t.notOk(await b.compareAndDelete('volatile:claim', 'a2'))
  await b.delete('meeting:615902734')
  t.equal(await a.get('meeting:615902734'), 'alpha title')
})

t.test('a scope name that could break out of its keys is refused', async (t) => {
  const base = new MemoryStore()
  for (const bad of ['', 'a/b', 'a*', 'x:y', 'a b', 'x'.repeat(129)])
    t.throws(() => new ScopedStore(base, bad, SPACES), /scope/, JSON.stringify(bad.slice(0, 10)))
  const s = new ScopedStore(base, 'dingcorpAlpha', SPACES)
  t.throws(
    () => s.declare([{ prefix: 'other:', owner: 'x', persistence: 'volatile', outage: 'drop' }]),
    /other: are not declared/,
  )
  t.doesNotThrow(() => s.declare(SPACES))
})
