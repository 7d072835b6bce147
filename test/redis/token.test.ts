import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { SharedFlight } from '../../src/core/flight.js'
import { DingTalkApi } from '../../src/dingtalk/api.js'
import { DingTalkHttp } from '../../src/dingtalk/http.js'
import { TOKEN_KEY, TokenProvider } from '../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import type { Store } from '../../src/store/store.js'
import { CLIENT_ID, captureLogger, fixtureMeetings, SECRET } from '../helpers/index.js'
import { redisStore } from '../helpers/redis.js'

async function emulator(t: { teardown(fn: () => unknown): void }, tokenTtlSeconds?: number) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
    ...(tokenTtlSeconds ? { tokenTtlSeconds } : {}),
  })
  t.teardown(() => emu.close())
  return emu
}

function provider(emu: DingTalkEmulator, store: Store, secret = SECRET): TokenProvider {
  return new TokenProvider({
    http: new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 }),
    clientId: CLIENT_ID,
    clientSecret: secret,
    shared: { store, flight: new SharedFlight(store, { lockTtlMs: 2000, pollMs: 5 }) },
  })
}

/** Two instances sharing one Redis namespace, each with its token provider. */
async function twoInstances(t: Parameters<typeof redisStore>[0], tokenTtlSeconds?: number) {
  const emu = await emulator(t, tokenTtlSeconds)
  const a = await redisStore(t)
  const b = await redisStore(t, a.namespace)
  return { emu, a, pa: provider(emu, a.store), pb: provider(emu, b.store) }
}

t.test(
  'one token fetch for all instances; the stored value is sealed and expires with the token',
  async (t) => {
    const { emu, a, pa, pb } = await twoInstances(t)
    emu.fail('token', { delayMs: 100 })
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? pa : pb).get()))
    t.equal(new Set(tokens).size, 1, 'everyone got the same token')
    t.equal(emu.count('token'), 1, 'one fetch for two instances and 30 callers')
    t.equal(pb.status().valid, true)

    const raw = (await a.raw.get(a.namespace + TOKEN_KEY)) as string
    t.ok(raw.startsWith('v1.'), 'sealed')
    t.notMatch(raw, tokens[0] as string, 'the token itself is not in Redis')
    const ttl = await a.raw.pttl(a.namespace + TOKEN_KEY)
    t.ok(ttl > 7_100_000 && ttl <= 7_200_000, `expires with the token (${ttl} ms)`)

    // A third instance starting later reads it too.
    t.equal(await provider(emu, a.store).get(), tokens[0])
    t.equal(emu.count('token'), 1)
    // Another app secret (or a tampered value) cannot open it: that instance fetches its own.
    const refused = await provider(emu, a.store, 'another-secret')
      .get()
      .catch(() => 'refused')
    t.equal(refused, 'refused')
    t.equal(emu.count('token'), 2, 'it had to ask DingTalk (which refused the wrong secret)')
    const c = await redisStore(t)
    // The second-to-last character flipped (checking that very character: one CI run in 64 hit
    // a raw value whose second-to-last was already the replacement, and "tampered" nothing).
    const tampered = `${raw.slice(0, -2)}${raw.at(-2) === 'A' ? 'B' : 'A'}${raw.slice(-1)}`
    for (const junk of [tampered, 'v1.only-two', 'not sealed at all']) {
      await c.raw.set(c.namespace + TOKEN_KEY, junk)
      t.ok(await provider(emu, c.store).get(), 'a tampered or foreign value is ignored')
    }
    t.equal(emu.count('token'), 5, 'each time a fresh token was fetched')
  },
)

t.test(
  'a token DingTalk rejects is dropped from the shared store; the next one is shared again',
  async (t) => {
    const { emu, pa, pb } = await twoInstances(t)
    const { log } = captureLogger()
    const apiA = new DingTalkApi(new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 }), pa, RETRY, log)
    const first = await pa.get()
    t.equal(await pb.get(), first)
    emu.revokeTokens()
    await apiA
      .call({ api: 'conference.info', method: 'GET', path: '/v1.0/conference/videoConferences/x' })
      .catch(() => undefined)
    t.equal(emu.count('token'), 2, 'instance A fetched a new one after the rejection')
    await sleep(20)
    const second = await pa.get()
    t.not(second, first)
    pb.invalidate(first)
    t.equal(await pb.get(), second, 'B found the new one in the store instead of fetching')
    t.equal(emu.count('token'), 2)
    pb.invalidate('some-older-token')
    t.equal(await pb.get(), second, 'an older token being rejected changes nothing')
  },
)

t.test('refresh before expiry: one instance refreshes for all', async (t) => {
  // DingTalk tokens here live 2 s, refreshed at half their life.
  const { emu, pa, pb } = await twoInstances(t, 2)
  const first = await pa.get()
  t.equal(await pb.get(), first)
  await sleep(1100)
  const again = await Promise.all([pa.get(), pb.get(), pa.get(), pb.get()])
  t.equal(new Set(again).size, 1)
  t.not(again[0], first)
  t.equal(emu.count('token'), 2, 'one refresh for both')
})

t.test('a store that fails: the token is still fetched and kept locally', async (t) => {
  const emu = await emulator(t)
  const a = await redisStore(t)
  const p = provider(emu, a.store)
  await a.store.close()
  const token = await p.get()
  t.ok(token)
  t.equal(await p.get(), token, 'cached locally')
  p.invalidate(token)
  t.equal(emu.count('token'), 1)
})

const RETRY = { maxAttempts: 2, throttleBudgetMs: 100, baseDelayMs: 5 }
