import t from 'tap'
import { type App, createApp } from '../../src/app/index.js'
import { openStore } from '../../src/app/state.js'
import { ConfigError, describeConfig, loadConfig, redisNamespace } from '../../src/config.js'
import { TOKEN_KEY } from '../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { MemoryStore } from '../../src/store/memory.js'
import { StoreUnavailableError } from '../../src/store/redis.js'
import { ResilientStore } from '../../src/store/resilient.js'
import { CLIENT_ID, captureLogger, FAST, fixtureMeetings, SECRET, testConfig } from '../helpers/index.js'
import { freePort, keysUnder, REDIS_URL, rawRedis, uniquePrefix } from '../helpers/redis.js'
import { callback, question } from '../helpers/replicas.js'

type Tap = { teardown(fn: () => unknown): void }

/** `n` bot instances in this process on one emulator and one Redis namespace, as replicas would be. */
async function replicas(t: Tap, n: number) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
  })
  t.teardown(() => emu.close())
  const prefix = uniquePrefix()
  const raw = rawRedis(t, `${prefix}:`)
  const config = testConfig(emu, { REDIS_URL, REDIS_KEY_PREFIX: prefix })
  const apps: Array<{ app: App; url: string }> = []
  for (let i = 0; i < n; i++) {
    const { log } = captureLogger()
    const app = await createApp({ config, log, tuning: FAST, store: await openStore(config, log) })
    t.teardown(() => app.stop())
    apps.push({ app, url: await app.server.listen({ host: '127.0.0.1', port: 0 }) })
  }
  return { emu, raw, apps, namespace: redisNamespace(prefix, CLIENT_ID), config }
}

t.test('replicas in one process share the ledger, the token and the lookups', async (t) => {
  const { emu, raw, apps, namespace } = await replicas(t, 2)
  const [a, b] = apps as [{ url: string; app: App }, { url: string; app: App }]
  emu.fail('conference.byRoomCode', { delayMs: 150 })
  const asks = Array.from({ length: 40 }, (_, i) => callback(i % 2 ? a.url : b.url, question(emu)))
  const bodies = await Promise.all(asks)
  t.equal(bodies.filter((r) => r.msgtype === 'actionCard').length, 40, 'all answered inline')
  t.equal(emu.count('token'), 1, 'one token for both')
  t.equal(emu.count('conference.byRoomCode'), 1, 'one room lookup for both')
  t.equal(emu.count('conference.info'), 1)

  // The same message to both replicas: one answer.
  const msg = question(emu)
  const both = await Promise.all([callback(a.url, msg), callback(b.url, msg)])
  t.same(both.map((r) => r.msgtype).sort(), ['actionCard', 'empty'])

  // What Redis holds, and for how long.
  const keys = await keysUnder(raw, namespace)
  const ttl = async (k: string) => raw.pttl(namespace + k)
  t.ok(
    keys.every((k) => k.startsWith(namespace)),
    'everything under <prefix>:<client id>:',
  )
  t.ok((await ttl(`dedupe:${msg.msgId}`)) > 14 * 60_000, 'answered: remembered 15 minutes')
  t.ok((await ttl('meeting:room:615902734')) > 0, 'the room list expires')
  t.ok((await ttl(TOKEN_KEY)) > 7_000_000, 'the token expires with itself')
  t.ok(
    keys.some((k) => k.includes(':usage:')),
    'usage counters',
  )
  for (const k of keys) t.not(await raw.pttl(k), -1, `${k.slice(namespace.length)} expires`)
  t.equal(await raw.get(`${namespace}lock:meeting:room:615902734`), null, 'no lock left behind')

  const ready = await fetch(`${a.url}/readyz`)
  t.equal(ready.status, 200)
  t.match(await ready.json(), {
    status: 'ready',
    degraded: false,
    checks: { store: { ok: true, detail: 'redis: connected' } },
  })
})

t.test('/readyz says degraded (200) while the store runs on local memory', async (t) => {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: fixtureMeetings(),
  })
  t.teardown(() => emu.close())
  const primary = Object.assign(new MemoryStore(), {
    kind: 'redis',
    shared: true,
    ping: () => Promise.reject(new Error('still down')),
    get: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  })
  const { log, capture } = captureLogger()
  const store = new ResilientStore(primary, { log, probeMs: 60_000 })
  const app = await createApp({ config: testConfig(emu), log, tuning: FAST, store })
  t.teardown(() => app.stop())
  const url = await app.server.listen({ host: '127.0.0.1', port: 0 })
  const body = await callback(url, question(emu))
  t.equal(body.msgtype, 'actionCard', 'still answers')
  const res = await fetch(`${url}/readyz`)
  t.equal(res.status, 200)
  t.match(await res.json(), {
    status: 'degraded',
    ready: true,
    degraded: true,
    checks: { store: { ok: true, degraded: true, detail: /redis unavailable since .*ECONNREFUSED/ } },
  })
  t.equal(
    capture.find(
      'shared store unavailable: answering in degraded mode (local de-dup and caches) until it returns',
    ).length,
    1,
  )
})

t.test('openStore: SQLite without REDIS_URL; Redis unreachable is a clear error', async (t) => {
  const { log } = captureLogger()
  const dir = t.testdir()
  const sqlite = await openStore(loadConfig({ DATA_DIR: dir }), log)
  t.equal(sqlite.kind, 'sqlite')
  await sqlite.close()
  const port = await freePort()
  const err = (await openStore(loadConfig({ REDIS_URL: `redis://:pw-secret@127.0.0.1:${port}` }), log).catch(
    (e: unknown) => e,
  )) as Error
  t.type(err, StoreUnavailableError)
  t.notMatch(err.message, 'pw-secret')
})

t.test('configuration: REDIS_URL, REDIS_KEY_PREFIX, BOT_LEASE_MS', async (t) => {
  const c = loadConfig({ REDIS_URL: 'rediss://user:pa55@redis.internal:6380/2', BOT_LEASE_MS: '5000' })
  t.same(c.redis, { url: 'rediss://user:pa55@redis.internal:6380/2', keyPrefix: 'meeting-bot' })
  t.equal(c.leaseMs, 5000)
  const shown = describeConfig(c)
  t.equal(shown.REDIS_URL, 'rediss://user:***@redis.internal:6380/2')
  t.equal(shown.REDIS_KEY_PREFIX, 'meeting-bot')
  t.match(shown.DATA_DIR, 'unused')
  t.notMatch(JSON.stringify(shown), 'pa55')
  const plain = loadConfig({})
  t.equal(plain.redis, undefined)
  t.equal(plain.leaseMs, 60_000)
  t.equal(describeConfig(plain).REDIS_URL, '(not set: embedded SQLite store)')
  t.equal(redisNamespace('mb', 'dingabc'), 'mb:dingabc:')

  const err = t.throws(() =>
    loadConfig({
      REDIS_URL: 'http://:topsecret@host',
      REDIS_KEY_PREFIX: 'has space',
      BOT_LEASE_MS: '10',
    }),
  ) as ConfigError
  t.type(err, ConfigError)
  t.match(err.message, 'REDIS_URL must be a redis:// or rediss:// URL with a host, got "http://:***@host/"')
  t.match(err.message, 'REDIS_KEY_PREFIX must be 1 to 64 letters, digits or _ . : -, got "has space"')
  t.match(err.message, 'BOT_LEASE_MS must be an integer from 1000 to 600000')
  t.notMatch(err.message, 'topsecret')
  t.throws(() => loadConfig({ REDIS_URL: 'not a url at all:secret' }), {
    message: /REDIS_URL must be a redis:\/\//,
  })
  t.throws(() => loadConfig({ REDIS_URL: 'redis://:s3cret@host/abc' }), {
    message: 'REDIS_URL: the path must be a database number, got "redis://:***@host/abc"',
  })
})
