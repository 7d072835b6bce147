import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Deduper, eventDedupeKeyspace } from '../../src/core/dedupe.js'
import { Keyspaces } from '../../src/store/keyspaces.js'
import { MemoryStore } from '../../src/store/memory.js'
import { redisStore } from '../helpers/redis.js'

t.test('the events ledger: its own keyspace, so a message id and an event id never collide', async (t) => {
  const store = new MemoryStore()
  const messages = new Deduper(store)
  const events = messages.forKeyspace(eventDedupeKeyspace)
  t.equal(await messages.claim('same-id'), true)
  await messages.done('same-id')
  t.equal(await events.claim('same-id'), true, 'an event with the id of an answered message is new')
  await events.done('same-id')
  t.equal(await store.get('dedupe:same-id'), 'done')
  t.equal(await store.get('dedupe-event:same-id'), 'done')
  t.equal(await events.answered('same-id'), true)
  t.equal(await events.answered('other'), false)
  t.equal(
    new Keyspaces([eventDedupeKeyspace]).of('dedupe-event:x'),
    eventDedupeKeyspace,
    'declared for its keys',
  )
})

t.test('forget: the claim is given up, and the next delivery claims it afresh', async (t) => {
  const store = new MemoryStore()
  const d = new Deduper(store).forKeyspace(eventDedupeKeyspace)
  t.equal(await d.acquire('e1'), 'claimed')
  t.equal(await d.acquire('e1'), 'elsewhere', 'held here: a duplicate at once')
  await d.forget('e1')
  t.equal(await store.get('dedupe-event:e1'), undefined)
  t.equal(await d.acquire('e1'), 'claimed')
  await d.done('e1')
  await d.forget('e1')
  t.equal(await store.get('dedupe-event:e1'), 'done', 'forgetting what is done changes nothing')
})

t.test('waitForOwn: a claim held here is waited for, until done or forgotten', async (t) => {
  const store = new MemoryStore()
  const d = new Deduper(store, { leaseMs: 100, ttlMs: 10_000 })
  t.equal(await d.acquire('e2'), 'claimed')
  const waiting = d.acquire('e2', { waitForOwn: true })
  await sleep(30)
  await d.done('e2')
  t.equal(await waiting, 'answered')
  t.equal(await d.acquire('e3'), 'claimed')
  const takeOver = d.acquire('e3', { waitForOwn: true })
  await sleep(30)
  await d.forget('e3')
  t.equal(await takeOver, 'claimed', 'the first gave up: this one takes it')
  t.equal(await d.acquire('e4'), 'claimed')
  const started = Date.now()
  t.equal(
    await d.acquire('e4', { waitForOwn: true }),
    'claimed',
    'bounded: on a store nobody else shares no lease is renewed, and the claim lapses',
  )
  t.ok(Date.now() - started >= 90)
  t.equal(await d.acquire('e5'), 'claimed')
  const stopping = d.acquire('e5', { waitForOwn: true })
  d.stopWaiting()
  t.equal(await stopping, 'elsewhere', 'shutting down: no more waiting')
})

t.test(
  'on a shared store: forget lets another instance claim at once; closing one ledger closes its sibling',
  async (t) => {
    const a = await redisStore(t)
    const b = await redisStore(t, a.namespace)
    const opts = { leaseMs: 300, ttlMs: 60_000 }
    const messagesA = new Deduper(a.store, opts)
    const eventsA = messagesA.forKeyspace(eventDedupeKeyspace)
    const eventsB = new Deduper(b.store, opts).forKeyspace(eventDedupeKeyspace)
    t.teardown(() => {
      messagesA.close()
      eventsB.close()
    })
    t.equal(await eventsA.acquire('e1'), 'claimed')
    const waiting = eventsB.acquire('e1')
    await sleep(450)
    t.match(await a.raw.get(`${a.namespace}dedupe-event:e1`), /^claimed:/, 'renewed past its lease')
    await eventsA.forget('e1')
    t.equal(await waiting, 'claimed', 'the other instance takes it over once forgotten')
    await eventsB.done('e1')

    t.equal(await eventsA.acquire('e3'), 'claimed')
    const waitedFor = Date.now()
    t.equal(
      await eventsA.acquire('e3', { waitForOwn: true }),
      'elsewhere',
      'a live claim held here: waited for two leases at most',
    )
    t.ok(Date.now() - waitedFor >= 550)

    t.equal(await eventsA.acquire('e2'), 'claimed')
    messagesA.close()
    const started = Date.now()
    t.equal(await eventsB.acquire('e2'), 'claimed', 'no lease renewed after the close')
    t.ok(Date.now() - started >= 150, 'taken over once the lease lapsed')
  },
)
