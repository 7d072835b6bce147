import t from 'tap'
import { Inbox, inboxKeyspace, livenessKeyspace, MAX_AGE_MS } from '../../src/core/inbox.js'
import { MemoryStore } from '../../src/store/memory.js'
import { Sealer } from '../../src/store/sealer.js'
import { captureLogger } from '../helpers/index.js'
import { inbound } from './steps/fake.js'

const SECRET = 'inbox-test-secret'

function inboxOn(store: MemoryStore, owner: string, clock: () => number, secret = SECRET) {
  const { log, capture } = captureLogger()
  const inbox = new Inbox(store, {
    owner,
    codec: new Sealer(secret, 'app', 'inbox'),
    log,
    leaseMs: 1000,
    clock,
  })
  return { inbox, capture }
}

function store(clock: () => number) {
  const s = new MemoryStore({ clock })
  s.declare([inboxKeyspace, livenessKeyspace])
  return s
}

t.test('keep records a message once; a redelivery is not kept twice; release clears it', async (t) => {
  let now = 1_000_000
  const s = store(() => now)
  const { inbox } = inboxOn(s, 'a', () => now)
  const msg = inbound({ createAt: now } as never)
  t.equal(await inbox.keep(msg), true)
  t.equal(await inbox.keep(msg), false, 'a redelivery of a message on its way')
  const raw = (await s.get(`inbox:${msg.id}`)) as string
  t.notOk(raw.includes(msg.replyTarget.sessionWebhook), 'the session webhook is sealed at rest')
  t.notOk(raw.includes('manager4821'), 'so is everything else of the message')
  await inbox.release(msg.id)
  t.equal(await s.get(`inbox:${msg.id}`), undefined)
  now += MAX_AGE_MS
  t.equal(await inbox.keep(msg), true, 'kept again after it left')
})

t.test(
  "orphans: a dead owner's messages are taken over oldest first; live owners and our own stay",
  async (t) => {
    let now = 10_000_000
    const clock = () => now
    const s = store(clock)
    const dead = inboxOn(s, 'dead', clock).inbox
    const alive = inboxOn(s, 'alive', clock).inbox
    const { inbox: me, capture } = inboxOn(s, 'me', clock)
    const late = inbound({ createAt: now - 1000 } as never)
    const early = inbound({ createAt: now - 5000 } as never)
    const tooOld = inbound({ createAt: now - MAX_AGE_MS - 1 } as never)
    for (const m of [late, early, tooOld]) await dead.keep(m)
    const busy = inbound({ createAt: now } as never)
    await alive.keep(busy)
    alive.startLiveness()
    t.teardown(() => alive.stop())
    const mine = inbound({ createAt: now } as never)
    await me.keep(mine)
    await new Promise((r) => setTimeout(r, 20))
    const found = await me.orphans()
    t.same(
      found.messages.map((m) => m.id),
      [early.id, late.id],
      'oldest first, the live owner and our own left alone',
    )
    t.same(found.messages[0], early, 'the message as it was kept')
    t.equal(found.tooOld, 1)
    t.equal(await s.get(`inbox:${tooOld.id}`), undefined, 'the too old one is dropped...')
    t.match(
      capture.lines.find((l) => String(l.msg).includes('too old to answer')),
      { msgId: tooOld.id },
      '...and logged',
    )
    t.same(JSON.parse((await s.get(`inbox:${early.id}`)) as string).o, 'me', 'now ours')
    t.same((await me.orphans()).messages, [], 'taken once')
    t.equal(me.taken, 2)
    t.equal(me.tooOld, 1)
    alive.stop()
    now += 2000
    t.same(
      (await me.orphans()).messages.map((m) => m.id),
      [busy.id],
      'an owner whose liveness lapsed is dead: its messages are taken over',
    )
  },
)

t.test('two instances walking at once: each orphan is taken by exactly one', async (t) => {
  const now = 50_000_000
  const clock = () => now
  const s = store(clock)
  const dead = inboxOn(s, 'dead', clock).inbox
  const msgs = Array.from({ length: 30 }, () => inbound({ createAt: now } as never))
  for (const m of msgs) await dead.keep(m)
  const a = inboxOn(s, 'a', clock).inbox
  const b = inboxOn(s, 'b', clock).inbox
  const [fa, fb] = await Promise.all([a.orphans(), b.orphans()])
  const ids = [...fa.messages, ...fb.messages].map((m) => m.id).sort()
  t.same(ids, msgs.map((m) => m.id).sort(), 'all taken, none twice')
})

t.test('an entry sealed with another key (another app) is left alone and logged', async (t) => {
  const now = 70_000_000
  const clock = () => now
  const s = store(clock)
  const other = inboxOn(s, 'other', clock, 'another-apps-secret').inbox
  const msg = inbound({ createAt: now } as never)
  await other.keep(msg)
  const { inbox: me, capture } = inboxOn(s, 'me', clock)
  t.same((await me.orphans()).messages, [])
  t.ok(await s.get(`inbox:${msg.id}`), 'not deleted')
  t.equal(capture.find('inbox entry does not open with this app key; left alone').length, 1)
  await s.set(`inbox:junk`, 'not json')
  t.same((await me.orphans()).messages, [], 'junk is skipped')
})

t.test('retry: an entry of ours not handled is handed over again by the next walk, once', async (t) => {
  let now = 90_000_000
  const clock = () => now
  const s = store(clock)
  const { inbox: me, capture } = inboxOn(s, 'me', clock)
  let told = 0
  me.onRetry = () => told++
  const msg = inbound({ createAt: now } as never)
  const other = inbound({ createAt: now } as never)
  await me.keep(msg)
  await me.keep(other)
  me.retry(inbound().id)
  t.equal(told, 0, 'an id this instance does not hold is not ours to retry')
  me.retry(msg.id)
  t.equal(told, 1, 'the recovery is told')
  t.same(
    (await me.orphans()).messages.map((m) => m.id),
    [msg.id],
    'handed over again; our other entry stays with its handler',
  )
  t.same((await me.orphans()).messages, [], 'once')
  t.equal(me.retried, 1)
  t.equal(me.taken, 0, 'not counted as taken over from a dead owner')
  await me.release(msg.id)
  t.equal(await s.get(`inbox:${msg.id}`), undefined, 'its release clears it')
  me.retry(other.id)
  await me.release(other.id)
  t.same((await me.orphans()).messages, [], 'released before the walk: nothing to hand over')
  const late = inbound({ createAt: now } as never)
  await me.keep(late)
  me.retry(late.id)
  now += MAX_AGE_MS + 1
  t.same((await me.orphans()).messages, [], 'too old by the walk...')
  t.equal(await s.get(`inbox:${late.id}`), undefined, '...dropped')
  t.match(
    capture.lines.find((l) => String(l.msg).includes('too old to answer')),
    { msgId: late.id },
    'and logged',
  )
})
