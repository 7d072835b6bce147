import t from 'tap'
import type { CheckResult } from '../../src/ops/readiness.js'
import { answersTo, logsOf, startCluster } from '../helpers/cluster.js'
import { waitFor } from '../helpers/index.js'
import { privateRedis } from '../helpers/redis.js'
import { callback, question } from '../helpers/replicas.js'

interface Readyz {
  status: string
  degraded: boolean
  checks: Record<string, CheckResult>
}

async function readyz(url: string): Promise<{ code: number; body: Readyz }> {
  const res = await fetch(`${url}/readyz`)
  return { code: res.status, body: (await res.json()) as Readyz }
}

const DOWN = 'shared store unavailable: answering in degraded mode (local de-dup and caches) until it returns'

// A private redis-server on a free port: this test stops it; the machine's Redis is never touched.
t.test(
  'Redis stopped and restarted mid-run: replicas keep answering, say degraded, and recover',
  async (t) => {
    const redis = await privateRedis(t)
    const { emu, replicas, raw, namespace } = await startCluster(t, { redisUrl: redis.url })
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]]
    const inline = new Map<string, Record<string, unknown>>()
    const ask = async (url: string, msg = question(emu)) => {
      inline.set(msg.msgId, await callback(url, msg))
      return msg
    }
    await ask(a.botUrl)
    for (const r of replicas)
      t.match(await readyz(r.botUrl), { code: 200, body: { status: 'ready', degraded: false } })

    await redis.stop()
    // Degraded as soon as the connection drops, before any message fails on it.
    await waitFor(() => logsOf(replicas, DOWN).length === 2, 5000, 'both replicas noticed')
    const during = []
    for (let i = 0; i < 10; i++) during.push(await ask(i % 2 ? a.botUrl : b.botUrl))
    t.ok(
      during.every((m) => answersTo(emu, m, inline) === 1),
      'every message answered while Redis is down',
    )
    for (const r of replicas) {
      const { code, body } = await readyz(r.botUrl)
      t.equal(code, 200, 'degraded is still ready: the bot answers')
      t.match(body, { status: 'degraded', degraded: true, checks: { store: { ok: true, degraded: true } } })
      t.match(body.checks.store?.detail, /redis unavailable since/)
    }
    t.equal(logsOf([a], DOWN).length, 1, 'logged once, not per message')
    t.equal(logsOf([b], DOWN).length, 1)

    await redis.start()
    await waitFor(
      () => logsOf(replicas, 'shared store available again').length === 2,
      10_000,
      'both recovered',
    )
    for (const r of replicas)
      t.match(await readyz(r.botUrl), { code: 200, body: { status: 'ready', degraded: false } })

    // Shared again: the same message to both replicas is answered once...
    const msg = question(emu)
    const both = await Promise.all([callback(a.botUrl, msg), callback(b.botUrl, msg)])
    t.same(both.map((r) => r.msgtype).sort(), ['actionCard', 'empty'])
    // ... and a message answered during the outage, delivered again now, is not answered again:
    // the ledger written during the outage went to the restarted Redis.
    const again = during[0]
    if (again) {
      t.equal(await raw.get(`${namespace}dedupe:${again.msgId}`), 'done')
      t.same(await callback(a.botUrl, again), { msgtype: 'empty' })
      t.same(await callback(b.botUrl, again), { msgtype: 'empty' })
    }
    t.equal(await a.stop(), 0)
    t.equal(await b.stop(), 0)
  },
)
