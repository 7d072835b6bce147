import t, { type Test } from 'tap'
import { type Flight, SharedFlight } from '../../src/core/flight.js'
import {
  CorpTokenProvider,
  corpTokenKey,
  InvalidSuiteTicketError,
  NoSuiteTicketError,
  OrgNotAuthorizedError,
} from '../../src/dingtalk/corp-token.js'
import { DingTalkApiError } from '../../src/dingtalk/errors.js'
import { DingTalkHttp } from '../../src/dingtalk/http.js'
import { SuiteTickets } from '../../src/dingtalk/suite-ticket.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { ISV_KEYSPACES } from '../../src/features/isv/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import type { Store } from '../../src/store/store.js'
import { failure, fixtureMeetings } from '../helpers/index.js'
import { redisStore } from '../helpers/redis.js'

const SUITE_KEY = 'suiteq8w7e6r5'
const SUITE_SECRET = 'suite-secret-Zq81xLw0'
const CORP_A = 'dingcorp5e8a1f2b'
const CORP_B = 'dingcorpB2b2b2b2'
const TICKET = 'TICKETa1b2c3d4e5'

/** The emulator as an ISV's DingTalk: orgs A and B authorized the app, ticket TICKET current. */
async function isvEmulator(t: Test) {
  const emu = await DingTalkEmulator.start({
    clientId: SUITE_KEY,
    clientSecret: SUITE_SECRET,
    meetings: fixtureMeetings(),
    isv: { ticket: TICKET },
  })
  emu.isv.corps.set(CORP_A, { name: 'Org A' })
  emu.isv.corps.set(CORP_B, { name: 'Org B' })
  t.teardown(() => emu.close())
  return emu
}

function memoryTickets(): { store: MemoryStore; tickets: SuiteTickets } {
  const store = new MemoryStore()
  store.declare(ISV_KEYSPACES)
  return { store, tickets: new SuiteTickets({ store, suiteKey: SUITE_KEY, suiteSecret: SUITE_SECRET }) }
}

function provider(
  emu: DingTalkEmulator,
  tickets: SuiteTickets,
  extra: { clock?: () => number; shared?: { store: Store; flight: Flight }; suiteSecret?: string } = {},
): CorpTokenProvider {
  return new CorpTokenProvider({
    http: new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 }),
    suiteKey: SUITE_KEY,
    suiteSecret: extra.suiteSecret ?? SUITE_SECRET,
    tickets,
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.shared ? { shared: extra.shared } : {}),
  })
}

t.test('30 concurrent callers of one org: one fetch; two orgs: two tokens', async (t) => {
  const emu = await isvEmulator(t)
  const { tickets } = memoryTickets()
  await tickets.save(TICKET, 1)
  const p = provider(emu, tickets)
  emu.fail('corp.token', { delayMs: 100 })
  const a = await Promise.all(Array.from({ length: 30 }, () => p.get(CORP_A)))
  t.equal(new Set(a).size, 1, 'everyone got the same token')
  t.equal(emu.isv.count(CORP_A), 1, 'one fetch for 30 callers')
  t.same(emu.isv.issued.get(CORP_A), [a[0]])

  const both = await Promise.all(Array.from({ length: 20 }, (_, i) => p.get(i % 2 ? CORP_A : CORP_B)))
  t.equal(emu.isv.count(CORP_B), 1, 'one fetch for org B')
  t.equal(emu.isv.count(CORP_A), 1, 'org A still cached')
  t.same(emu.isv.issued.get(CORP_B), [both[0]])
  t.not(both[0], both[1], 'each org its own token')
  t.equal(emu.count('corp.token'), 2)
  t.equal(emu.count('token'), 0, 'the internal app token is never asked for')
  t.same(emu.isv.ticketsSeen, [TICKET, TICKET])
})

t.test('cached until the margin before expiry (5 min), then fetched again', async (t) => {
  const emu = await isvEmulator(t)
  const { tickets } = memoryTickets()
  await tickets.save(TICKET, 1)
  let now = 1_000_000
  const p = provider(emu, tickets, { clock: () => now })
  const first = await p.get(CORP_A)
  now += 7200_000 - 5 * 60_000 - 1
  t.equal(await p.get(CORP_A), first, 'still cached just before the margin')
  t.equal(emu.isv.count(CORP_A), 1)
  now += 1
  const second = await p.get(CORP_A)
  t.not(second, first, 'a new token at the margin')
  t.equal(emu.isv.count(CORP_A), 2)
})

t.test('no ticket yet: NoSuiteTicketError, and DingTalk is not called', async (t) => {
  const emu = await isvEmulator(t)
  const { tickets } = memoryTickets()
  const p = provider(emu, tickets)
  const err = await failure(p.get(CORP_A))
  t.ok(err instanceof NoSuiteTicketError, err.message)
  t.equal(emu.count('corp.token'), 0, 'no call')
  await tickets.save(TICKET, 1)
  t.ok(await p.get(CORP_A), 'once a ticket is saved the next call gets a token')
  t.equal(emu.count('corp.token'), 1)
})

t.test('an org that has not authorized the app: OrgNotAuthorizedError, not cached', async (t) => {
  const emu = await isvEmulator(t)
  const { tickets } = memoryTickets()
  await tickets.save(TICKET, 1)
  const p = provider(emu, tickets)
  const err = await failure(p.get('dingcorpStranger'))
  t.ok(err instanceof OrgNotAuthorizedError, err.message)
  t.equal((err as unknown as OrgNotAuthorizedError).corpId, 'dingcorpStranger')
  t.match((err.cause as DingTalkApiError).code, 'invalidAuthInfo')
  emu.isv.corps.set('dingcorpStranger', {})
  t.ok(await p.get('dingcorpStranger'), 'authorized since: the next call gets a token')
  t.equal(emu.isv.count('dingcorpStranger'), 2)
})

t.test('ticket rotation: a stale ticket is refused (typed); the new one is used next', async (t) => {
  const emu = await isvEmulator(t)
  const { tickets } = memoryTickets()
  await tickets.save(TICKET, 1)
  let now = 1_000_000
  const p = provider(emu, tickets, { clock: () => now })
  await p.get(CORP_A)
  // DingTalk rotates the ticket; ours is stale until the push arrives.
  emu.isv.ticket = 'TICKETrotated99'
  const stale = await failure(p.get(CORP_B))
  t.ok(stale instanceof InvalidSuiteTicketError, stale.message)
  await tickets.save('TICKETrotated99', 2)
  t.ok(await p.get(CORP_B), 'the new ticket gets org B a token')
  now += 7200_000
  t.ok(await p.get(CORP_A), 'and org A its next one')
  t.same(emu.isv.ticketsSeen, [TICKET, TICKET, 'TICKETrotated99', 'TICKETrotated99'])
})

t.test('a wrong suite secret: a DingTalkApiError of kind badCredentials', async (t) => {
  const emu = await isvEmulator(t)
  const { tickets } = memoryTickets()
  await tickets.save(TICKET, 1)
  const err = await failure(provider(emu, tickets, { suiteSecret: 'wrong' }).get(CORP_A))
  t.ok(err instanceof DingTalkApiError)
  t.match(err, { code: 'invalidSuiteKey', kind: 'badCredentials', api: 'corp.token' })
})

t.test('two instances on Redis: one fetch per org for all, sealed per org', async (t) => {
  const emu = await isvEmulator(t)
  const a = await redisStore(t)
  const b = await redisStore(t, a.namespace)
  const instance = (store: Store, secret = SUITE_SECRET) =>
    provider(emu, new SuiteTickets({ store, suiteKey: SUITE_KEY, suiteSecret: secret }), {
      shared: { store, flight: new SharedFlight(store, { lockTtlMs: 2000, pollMs: 5 }) },
      suiteSecret: secret,
    })
  // The ticket one instance saved is the other's too.
  await new SuiteTickets({ store: a.store, suiteKey: SUITE_KEY, suiteSecret: SUITE_SECRET }).save(TICKET, 1)
  const pa = instance(a.store)
  const pb = instance(b.store)
  emu.fail('corp.token', { delayMs: 100, times: 2 })
  const got = await Promise.all(
    Array.from({ length: 40 }, (_, i) => (i % 2 ? pa : pb).get(i % 4 < 2 ? CORP_A : CORP_B)),
  )
  t.equal(emu.isv.count(CORP_A), 1, 'one fetch of org A for two instances')
  t.equal(emu.isv.count(CORP_B), 1, 'one fetch of org B')
  t.equal(new Set(got).size, 2)

  const rawA = (await a.raw.get(a.namespace + corpTokenKey(CORP_A))) as string
  const tokenA = emu.isv.issued.get(CORP_A)?.[0] as string
  t.ok(rawA.startsWith('v1.'), 'sealed')
  t.notMatch(rawA, tokenA, 'the token itself is not in Redis')
  const ttl = await a.raw.pttl(a.namespace + corpTokenKey(CORP_A))
  t.ok(ttl > 7_100_000 && ttl <= 7_200_000, `expires with the token (${ttl} ms)`)
  t.equal(await instance(a.store).get(CORP_A), tokenA, 'a third instance reads it')
  t.equal(emu.isv.count(CORP_A), 1)

  // Org A's sealed value copied under org C's key is not org C's token.
  const c = await redisStore(t)
  await new SuiteTickets({ store: c.store, suiteKey: SUITE_KEY, suiteSecret: SUITE_SECRET }).save(TICKET, 1)
  emu.isv.corps.set('dingcorpC3', {})
  await c.raw.set(c.namespace + corpTokenKey('dingcorpC3'), rawA)
  const tokenC = await instance(c.store).get('dingcorpC3')
  t.not(tokenC, tokenA)
  t.equal(emu.isv.count('dingcorpC3'), 1, 'org C fetched its own')

  // DingTalk rejects org A's token: the shared copy that holds it goes, and nobody takes it again.
  pa.invalidate(CORP_A, tokenA)
  for (let i = 0; i < 100 && (await a.raw.get(a.namespace + corpTokenKey(CORP_A))) !== null; i++) {
    await new Promise((r) => setTimeout(r, 10))
  }
  t.equal(await a.raw.get(a.namespace + corpTokenKey(CORP_A)), null, 'the shared copy is dropped')
  const next = await instance(b.store).get(CORP_A)
  t.not(next, tokenA, 'an instance starting now does not find the rejected token in Redis...')
  t.equal(emu.isv.count(CORP_A), 2, '...it fetches a new one')
  t.equal(await pa.get(CORP_A), next, 'which the instance that was refused then reads')
})
