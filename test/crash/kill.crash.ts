import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { tempDir } from '../helpers/process.js'
import { REDIS_URL, rawRedis, redisUnreachable, uniquePrefix } from '../helpers/redis.js'
import { CrashRun } from './harness.js'

/**
 * The crash suite: the real entry point, SIGKILLed at random moments under Stream and HTTP load
 * (and right after confirming a setting), started again on the same state. It runs on its own
 * after the other tests (`npm run test:crash`, part of `npm test`): beside another test file on
 * 2 cores, the bot's event loop waits for a CPU, and the duplicate window it
 * measures grows with that wait (docs/reliability.md). 12 kills per store: the duplicates come
 * in ones and threes (a kill right after a few answers went out), so the rate bound is checked on
 * about 1,400 messages in flight, not 700, where three unlucky kills decided it. `CRASH_ROUNDS`
 * makes it longer: `CRASH_ROUNDS=30 npm run test:crash -- --timeout 900`.
 */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 12)

/**
 * The duplicate window, as this process sees it: a message answered twice had its first answer
 * reach the emulator this close to a kill (both times taken here, so this process's own event-loop
 * lag is in it: one CI run saw first answers from 34 ms before to 41 ms after the kill). A "done"
 * that was not committed promptly (written behind on a timer, or lost) shows up as a duplicate
 * answered long before its kill.
 */
const WINDOW_MS = 250
/**
 * The rate bound, pooled over both stores. The issue's 1% is checked by the long form (30 kills
 * per store or more): about 3,800 messages in flight, where it measured 28 (0.74%). The short
 * form's 24 kills are too few for that bound: its duplicates come in clusters (up to four at one
 * kill), and on the same build and machine its runs measured 0.07% to 0.92% (docs/reliability.md),
 * so it checks 2%, which a regression of the window (a "done" no longer committed with its
 * answer: 2.3% and more, measured) still fails. What is left of the window is the webhook's round
 * trip: an answer DingTalk took, whose response the bot had not read when it died.
 */
const LONG_FORM_ROUNDS = 30
const MAX_RATE = ROUNDS >= LONG_FORM_ROUNDS ? 0.01 : 0.02

/** This process's own event-loop delay (the emulator's): part of the window it measures. */
const loop = monitorEventLoopDelay({ resolution: 1 })
loop.enable()
/** Per store: messages in flight at its kills, how many were answered twice, their distance to a kill. */
const suite: Array<{ store: string; inFlight: number; twice: number; gaps: number[] }> = []

async function rounds(t: Test, run: CrashRun): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    await run.startBot()
    run.startLoad(150)
    await sleep(800 + Math.random() * 1200)
    // Every other round: the kill comes right after the bot confirmed a change.
    if (round % 2 === 0) await run.confirmSetting()
    await run.kill()
    run.stopLoad()
  }
  await run.startBot()
  await run.settle()
  const handed = run.handed()
  const lost = handed.filter((s) => run.answers(s) === 0)
  const twice = handed.filter((s) => run.answers(s) > 1)
  const inFlight = run.inFlightAtKills.reduce((a, b) => a + b, 0)
  t.comment(
    `${ROUNDS} kills; sent ${run.sent.length}, handed over ${handed.length}, in flight at the kills ` +
      `${run.inFlightAtKills.join('+')} = ${inFlight}; lost ${lost.length}, answered twice ${twice.length}; ` +
      `frames re-pushed ${run.emu.stream.redelivered}, still unacked ${run.unacked().length}`,
  )
  t.ok(inFlight > 0, 'messages were in flight when the process died (the test bites)')
  t.same(
    lost.map((s) => `${s.via} ${s.payload.msgId}`),
    [],
    'nothing DingTalk handed over is lost',
  )
  // What the bots logged of a message, and what the emulator recorded for its chat: to read a
  // duplicate's window, or what became of a lost message (an OpenAPI reply has no session).
  const story = (s: (typeof handed)[number]) => {
    const lines = run.bots.flatMap((b, i) =>
      b
        .logs()
        .filter(
          (l) => l.msgId === s.payload.msgId || (s.messageId !== undefined && l.messageId === s.messageId),
        )
        .map(
          (l) =>
            `#${i} ${l.time} ${l.msg} ${l.outcome ?? ''} ${l.path ?? ''} ${(l.err as { message?: string } | undefined)?.message ?? ''} ${l.durationMs ?? ''}`,
        ),
    )
    const at = run.repliesTo(s).map((r) => `${r.at} (${r.via})`)
    const ack = s.messageId === undefined ? undefined : run.emu.stream.ackFor(s.messageId)
    const acked = ack
      ? `acked at ${ack.at} by bot #${run.connections.indexOf(ack.connectionId)}${ack.original ? ' (a re-push)' : ''}`
      : 'not acked'
    return `${s.via} ${s.payload.msgId} sent at ${s.sentAt}, ${acked} inline=${s.inlineAnswer} replies at ${at.join(',')} kills at ${run.killedAt.join(',')} ${lines.join(' | ')}`
  }
  for (const s of lost.slice(0, 5)) t.comment(`lost: ${story(s)}`)
  for (const s of twice.slice(0, 5)) t.comment(`twice: ${story(s)}`)
  const gaps = twice.map((s) => {
    const first = Math.min(...run.repliesTo(s).map((r) => r.at))
    // An inline first answer has no emulator time: it went out in the HTTP response, in the window too.
    if (!Number.isFinite(first)) return 0
    return Math.min(...run.killedAt.map((k) => Math.abs(first - k)))
  })
  suite.push({ store: t.name, inFlight, twice: twice.length, gaps })
  for (const c of run.confirmed) {
    t.equal(
      await run.languageOf(c.conversationId),
      'en',
      'a setting confirmed right before the kill survived it',
    )
  }
  t.ok(run.confirmed.length >= 1, 'settings were confirmed right before kills')
  await run.stopBot()
}

t.test('SQLite: SIGKILL under load, restart on the same DATA_DIR', async (t) => {
  const run = await CrashRun.start(t, { DATA_DIR: tempDir(t, 'meeting-bot-crash-') })
  await rounds(t, run)
})

const noRedis = await redisUnreachable()
t.test('Redis: SIGKILL under load, restart on the same Redis', { skip: noRedis ?? false }, async (t) => {
  const prefix = uniquePrefix('mbcrash')
  rawRedis(t, `${prefix}:`)
  // A killed instance's claims and inbox entries are taken over once its lease lapses.
  const run = await CrashRun.start(t, { REDIS_URL, REDIS_KEY_PREFIX: prefix, BOT_LEASE_MS: '1500' })
  await rounds(t, run)
})

t.test('answered twice: only in the window around a kill, and rarely, over the suite', async (t) => {
  const inFlight = suite.reduce((a, s) => a + s.inFlight, 0)
  const twice = suite.reduce((a, s) => a + s.twice, 0)
  const gaps = suite.flatMap((s) => s.gaps).sort((a, b) => a - b)
  t.comment(
    `${suite.map((s) => `${s.store}: ${s.twice} of ${s.inFlight}`).join('; ')}; ` +
      `first answers ${gaps.join(', ') || 'none'} ms from a kill; this process's event-loop delay ` +
      `p50 ${(loop.percentile(50) / 1e6).toFixed(1)}, p99 ${(loop.percentile(99) / 1e6).toFixed(1)}, max ${(loop.max / 1e6).toFixed(1)} ms`,
  )
  t.ok(inFlight > 0, 'the stores ran')
  t.same(
    gaps.filter((g) => g > WINDOW_MS),
    [],
    `every message answered twice had its first answer within ${WINDOW_MS} ms of a kill`,
  )
  t.ok(
    twice <= inFlight * MAX_RATE,
    `answered twice: ${twice}, at most ${MAX_RATE * 100}% of ${inFlight} in flight`,
  )
})
