import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Deduper } from '../../src/core/dedupe.js'
import { LOCK_PREFIX, SharedFlight } from '../../src/core/flight.js'
import { holdLease } from '../../src/core/lease.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Store } from '../../src/store/store.js'
import { redisStore } from '../helpers/redis.js'

/** Two "instances": two connections to one Redis under one namespace. */
async function twoInstances(t: { teardown(fn: () => unknown): void }) {
  const a = await redisStore(t)
  const b = await redisStore(t, a.namespace)
  return { a: a.store, b: b.store, namespace: a.namespace, raw: a.raw }
}

t.test('SharedFlight: N instances asked at once do the work once; the rest read the cache', async (t) => {
  const { a, b } = await twoInstances(t)
  let upstream = 0
  // What MeetingService does: cache first, then the flight, re-checking the cache inside it.
  const lookup = (store: Store, flight: SharedFlight) => async () => {
    const hit = await store.get('meeting:x')
    if (hit) return hit
    return flight.run('meeting:x', async () => {
      const again = await store.get('meeting:x')
      if (again) return again
      upstream++
      await sleep(100)
      await store.set('meeting:x', 'answer', 10_000)
      return 'answer'
    })
  }
  const fa = new SharedFlight(a, { lockTtlMs: 2000, pollMs: 10 })
  const fb = new SharedFlight(b, { lockTtlMs: 2000, pollMs: 10 })
  const asks = Array.from({ length: 40 }, (_, i) => (i % 2 ? lookup(a, fa) : lookup(b, fb))())
  t.same(new Set(await Promise.all(asks)), new Set(['answer']))
  t.equal(upstream, 1, 'one upstream call for 40 asks on two instances')
  t.equal(await a.get(`${LOCK_PREFIX}meeting:x`), undefined, 'the lock is released')
})

t.test('SharedFlight: a failure is not shared across instances and not remembered', async (t) => {
  const { a, b } = await twoInstances(t)
  const fa = new SharedFlight(a, { lockTtlMs: 2000, pollMs: 10 })
  const fb = new SharedFlight(b, { lockTtlMs: 2000, pollMs: 10 })
  let calls = 0
  const failing = async () => {
    calls++
    await sleep(30)
    throw new Error('upstream down')
  }
  const results = await Promise.allSettled([fa.run('k', failing), fb.run('k', failing)])
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  )
  t.equal(calls, 2, 'the waiter tried itself once the holder gave up (nothing was cached)')
  t.equal(await fa.run('k', async () => 'ok'), 'ok')
})

t.test('SharedFlight: a lock whose holder died lapses; a live holder keeps it by renewing', async (t) => {
  const { a, b } = await twoInstances(t)
  // An instance died holding the lock: nobody renews it.
  await a.setIfAbsent(`${LOCK_PREFIX}k`, 'dead-instance:1', 300)
  const fb = new SharedFlight(b, { lockTtlMs: 300, pollMs: 10 })
  const started = Date.now()
  t.equal(await fb.run('k', async () => 'taken over'), 'taken over')
  const waited = Date.now() - started
  t.ok(waited >= 250 && waited < 1500, `waited for the lapse (${waited} ms)`)

  // Work far longer than the lock TTL: renewals keep other instances out the whole time.
  const fa = new SharedFlight(a, { lockTtlMs: 150, pollMs: 10 })
  let running = 0
  let overlap = false
  const slow = async () => {
    running++
    if (running > 1) overlap = true
    await sleep(600)
    running--
    return 'done'
  }
  const both = await Promise.all([fa.run('slow', slow), sleep(50).then(() => fb.run('slow', slow))])
  t.same(both, ['done', 'done'])
  t.equal(overlap, false, 'never two holders at once')
})

t.test(
  'SharedFlight: a waiter gives up after maxWaitMs; a failing store does not block the work',
  async (t) => {
    const store = new MemoryStore()
    await store.setIfAbsent(`${LOCK_PREFIX}k`, 'someone', 60_000)
    const f = new SharedFlight(store, { lockTtlMs: 60_000, pollMs: 5, maxWaitMs: 50 })
    t.equal(await f.run('k', async () => 'did it myself'), 'did it myself')

    const broken = new MemoryStore()
    broken.setIfAbsent = () => Promise.reject(new Error('store down'))
    const g = new SharedFlight(broken, { lockTtlMs: 1000 })
    t.equal(await g.run('k', async () => 'no lock needed'), 'no lock needed')
  },
)

t.test(
  'Deduper across instances: claimed → done; a dead claim is taken over, a live one is not',
  async (t) => {
    const { a, b, namespace, raw } = await twoInstances(t)
    const opts = { leaseMs: 300, ttlMs: 60_000 }
    const da = new Deduper(a, opts)
    const db = new Deduper(b, opts)
    t.teardown(() => {
      da.close()
      db.close()
    })

    // A live holder answering slowly (longer than the lease): renewals keep the claim.
    t.equal(await da.claim('m1'), true)
    t.equal(await da.claim('m1'), false, 'a second delivery to the same instance: a duplicate at once')
    const waiting = db.claim('m1')
    await sleep(700)
    t.match(await raw.get(`${namespace}dedupe:m1`), /^claimed:/, 'still claimed after two leases')
    await da.done('m1')
    t.equal(await waiting, false, 'the other instance waited for done: a duplicate')
    t.equal(await raw.get(`${namespace}dedupe:m1`), 'done')
    t.ok((await raw.pttl(`${namespace}dedupe:m1`)) > 59_000, 'done is remembered for the TTL')

    // The holder dies (stops renewing) before answering: the re-delivery is taken over.
    t.equal(await da.claim('m2'), true)
    da.close()
    const started = Date.now()
    t.equal(await db.claim('m2'), true, 'taken over')
    t.ok(Date.now() - started >= 150, 'only once the lease lapsed')

    // A claim left by an older version (no owner) is waited for the same way.
    await raw.set(`${namespace}dedupe:m3`, 'claimed', 'PX', 100)
    t.equal(await db.claim('m3'), true)

    // Shutting down: a delivery waiting for another instance's claim stops waiting.
    t.equal(await db.claim('m4'), true)
    const dc = new Deduper(a, opts)
    const pending = dc.claim('m4')
    await sleep(50)
    dc.stopWaiting()
    t.equal(await pending, false)
  },
)

t.test(
  "Deduper on a single-instance store: a restarted process takes its predecessor's claims at once",
  async (t) => {
    const store = new MemoryStore()
    const first = new Deduper(store, { leaseMs: 10_000, ttlMs: 100_000 })
    t.equal(await first.claim('m'), true)
    // The process was killed (a new owner) while the message was claimed; nothing else shares the
    // store, so the old claim is a dead process's: the inbox hands the message to the new one.
    const second = new Deduper(store, { leaseMs: 10_000, ttlMs: 100_000 })
    const started = Date.now()
    t.equal(await second.claim('m'), true, 'taken over')
    t.ok(Date.now() - started < 1000, 'without waiting out the lease')
    t.equal(await second.claim('m'), false, 'and it is ours now: a redelivery is a duplicate')
    await second.done('m')
    t.equal(await first.acquire('m'), 'answered')
  },
)

t.test(
  'holdLease: renews while ours, survives a failing renewal, stops when lost or after maxHoldMs',
  async (t) => {
    const store = new MemoryStore()
    await store.set('k', 'me', 60)
    const original = store.compareAndSet.bind(store)
    let failOnce = true
    store.compareAndSet = (...args: Parameters<MemoryStore['compareAndSet']>) => {
      if (failOnce) {
        failOnce = false
        return Promise.reject(new Error('blip'))
      }
      return original(...args)
    }
    const lease = holdLease(store, 'k', 'me', 60)
    await sleep(150)
    t.equal(await store.get('k'), 'me', 'renewed past its TTL despite one failed renewal')
    await store.set('k', 'someone else', 60)
    await sleep(150)
    t.equal(await store.get('k'), undefined, 'not ours any more: not renewed')
    lease.release()

    await store.set('j', 'me', 60)
    const capped = holdLease(store, 'j', 'me', 60, 30)
    await sleep(150)
    t.equal(await store.get('j'), undefined, 'gave up after maxHoldMs')
    capped.release()
  },
)
