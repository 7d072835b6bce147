import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { answersTo, logsOf, startCluster } from '../helpers/cluster.js'
import { waitFor } from '../helpers/index.js'
import { cleanEnv, run } from '../helpers/process.js'
import { freePort } from '../helpers/redis.js'
import { callback, question } from '../helpers/replicas.js'

const LEASE_MS = 1500

/**
 * One replica dies (SIGKILL) while it holds messages. "Pending" is what DingTalk still considers
 * undelivered and so delivers again: an HTTP callback that got no response (DingTalk retries it;
 * the load balancer sends it to the survivor) and a stream frame nobody acked (the gateway re-pushes
 * it to a live connection). The survivor answers each of them exactly once: at once when the dead
 * replica had not claimed it, after the dead replica's lease lapsed when it had. Frames the dead
 * replica had already acked are not pending for DingTalk (ack-first): at most one answer each.
 */
t.test('kill one replica mid-load: the other answers everything still pending, once', async (t) => {
  const { emu, replicas, raw, namespace } = await startCluster(t, {
    env: { BOT_LEASE_MS: String(LEASE_MS) },
    gateway: { redeliverAfterMs: 800 },
  })
  const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]]
  // DingTalk is slow to look the room up: everything below is still in flight when A dies.
  emu.fail('conference.byRoomCode', { delayMs: 2000 })

  const inline = new Map<string, Record<string, unknown>>()
  const retried: RobotMessagePayload[] = []
  /** The load balancer: a callback whose connection broke goes to the other replica. */
  const viaLoadBalancer = (msg: RobotMessagePayload) =>
    callback(a.botUrl, msg)
      .catch(() => {
        retried.push(msg)
        return callback(b.botUrl, msg)
      })
      .then((body) => inline.set(msg.msgId, body))
  const httpToA = Array.from({ length: 20 }, () => question(emu))
  const httpToB = Array.from({ length: 10 }, () => question(emu))
  const streamToA = Array.from({ length: 10 }, () => question(emu))
  const streamToB = Array.from({ length: 10 }, () => question(emu))
  const sends = [
    ...httpToA.map(viaLoadBalancer),
    ...httpToB.map((m) => callback(b.botUrl, m).then((body) => inline.set(m.msgId, body))),
  ]
  for (const m of streamToA) emu.stream.push(m, { connection: a.connection })
  for (const m of streamToB) emu.stream.push(m, { connection: b.connection })

  // A has claimed its callbacks (it is looking the room up for them) ...
  const claimedByA = async () =>
    (await Promise.all(httpToA.map((m) => raw.get(`${namespace}dedupe:${m.msgId}`)))).filter((v) =>
      v?.startsWith('claimed:'),
    ).length
  const deadline = Date.now() + 5000
  while ((await claimedByA()) < httpToA.length && Date.now() < deadline) await sleep(20)
  t.equal(await claimedByA(), httpToA.length, 'A holds claims on its 20 callbacks')

  // ... then hangs: frames pushed to it now are never acked, callbacks never read; then it dies.
  a.proc.kill('SIGSTOP')
  const unackedToA = Array.from({ length: 10 }, () => question(emu))
  for (const m of unackedToA) emu.stream.push(m, { connection: a.connection })
  const lateToA = Array.from({ length: 5 }, () => question(emu))
  sends.push(...lateToA.map(viaLoadBalancer))
  await sleep(100)
  a.proc.kill('SIGKILL')
  await a.exited

  const pending = [...httpToA, ...lateToA, ...httpToB, ...streamToB, ...unackedToA]
  await Promise.all(sends)
  await waitFor(
    () => pending.every((m) => answersTo(emu, m, inline) >= 1),
    15_000,
    'every pending message answered',
  )
  await sleep(500) // room for a second answer to show up, if there were one
  t.same(
    pending.filter((m) => answersTo(emu, m, inline) !== 1).map((m) => m.msgId),
    [],
    'every pending message answered exactly once',
  )
  t.same(
    streamToA.filter((m) => answersTo(emu, m, inline) > 1).map((m) => m.msgId),
    [],
    'frames A had acked: never answered twice',
  )
  t.equal(retried.length, httpToA.length + lateToA.length, 'every callback to A was retried on B')
  t.ok(emu.stream.redelivered >= unackedToA.length, 'the gateway re-pushed the frames A never acked')
  // A answered none of its callbacks (all were retried) yet had claimed them all: B took them over.
  const handledByB = new Map(logsOf([b], 'message handled').map((l) => [l.msgId, l]))
  const takenOver = httpToA.map((m) => handledByB.get(m.msgId))
  t.ok(
    takenOver.every((l) => l?.outcome === 'answered'),
    "B answered every message A had claimed, once A's lease lapsed",
  )
  t.ok(logsOf([b], 'message handled').length >= pending.length, 'B handled them')
  t.comment(
    `retried callbacks ${retried.length}, re-pushed frames ${emu.stream.redelivered}, ` +
      `frames A had acked answered ${streamToA.filter((m) => answersTo(emu, m, inline) === 1).length}/${streamToA.length}, ` +
      `take-overs waited up to ${Math.max(...takenOver.map((l) => Number(l?.durationMs)))} ms, ` +
      `conference calls ${emu.count('conference.byRoomCode')}+${emu.count('conference.info')}, token calls ${emu.count('token')}`,
  )
  t.equal(await b.stop(), 0)
})

t.test('Redis unreachable at start-up: a clear error, exit 1, no password shown', async (t) => {
  const port = await freePort()
  const r = await run(
    ['--import', 'tsx', 'src/main.ts'],
    cleanEnv({
      DINGTALK_CLIENT_ID: 'dingabc',
      DINGTALK_CLIENT_SECRET: 'app-secret-xyz',
      DINGTALK_TRANSPORTS: 'http',
      PORT: '0',
      REDIS_URL: `redis://:hunter2-redis-pw@127.0.0.1:${port}/0`,
    }),
  )
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    `meeting-bot: cannot use Redis at redis://:***@127.0.0.1:${port}/0 (REDIS_URL): connect ECONNREFUSED`,
  )
  t.notMatch(r.stderr + r.stdout, 'hunter2')
  t.notMatch(r.stderr, /\n\s+at /, 'a message, not a stack trace')
})
