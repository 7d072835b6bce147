/**
 * The DingTalk emulator in its own process, driven by the bench over IPC. It plays DingTalk for the
 * bot under test (token, conference APIs, session webhooks, the stream gateway) and runs the stream
 * scenario's sender, so neither competes with autocannon's event loop in the bench process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises'
import type { WebSocket } from 'ws'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import { type EmulatorMeeting, sampleMeetings } from '../../src/emulator/meetings.js'
import { generatedIsvOrgs } from '../../src/emulator/orgs.js'
import { cardMeetings, cardStats, churn } from './emulator-livecards.js'
import {
  type EmulatorCommand,
  type EventCounts,
  EXTRA_ROOMS,
  extraRoom,
  type ReplyStats,
  type StreamResult,
  type StreamRun,
  WATCH_ROOMS,
  watchRoom,
} from './lib/emulator-protocol.js'
import { BENCH_CLIENT_ID, robotMessage } from './lib/payload.js'
import { round, summarize } from './lib/stats.js'

function extraMeetings(now: number): EmulatorMeeting[] {
  return Array.from({ length: EXTRA_ROOMS }, (_, i) => ({
    conferenceId: `be4c${i.toString(16).padStart(20, '0')}`,
    roomCode: extraRoom(i),
    title: `Bench room ${i}`,
    status: 2,
    startTime: now - 10 * 60_000,
    creatorNick: 'Bench',
    activeNum: 3,
    attendNum: 4,
    invitedNum: 5,
  }))
}

/** Not started, scheduled ten minutes ahead: what the watch scenario watches. */
function watchMeetings(now: number): EmulatorMeeting[] {
  return Array.from({ length: WATCH_ROOMS }, (_, i) => ({
    conferenceId: `be5c${i.toString(16).padStart(20, '0')}`,
    roomCode: watchRoom(i),
    title: `Watched room ${i}`,
    status: 0,
    startTime: now + 10 * 60_000,
    creatorNick: 'Bench',
    invitedNum: 5,
  }))
}

function sessionOf(webhook: string): string {
  return new URL(webhook).searchParams.get('session') ?? ''
}

async function main(): Promise<void> {
  const secret = process.env.BENCH_SECRET
  if (!secret || !process.send) throw new Error('run by the bench: needs BENCH_SECRET and an IPC channel')
  const now = Date.now()
  // BENCH_ISV_ORGS=n: a third-party app's DingTalk with n generated orgs (the isv scenario).
  const isvOrgs = Number(process.env.BENCH_ISV_ORGS ?? 0)
  const emu = await DingTalkEmulator.start({
    clientId: BENCH_CLIENT_ID,
    clientSecret: secret,
    meetings: [...sampleMeetings(now), ...extraMeetings(now), ...watchMeetings(now), ...cardMeetings(now)],
    ...(isvOrgs > 0 ? { isv: { orgs: generatedIsvOrgs(isvOrgs, now) } } : {}),
    ...(process.env.BENCH_NO_REDELIVERY ? { stream: { redeliverAfterMs: 0 } } : {}),
  })
  const send = (m: unknown) => process.send?.(m)
  const gw = emu.stream
  // The gateway keeps its sockets private; the paced sender needs one to respect backpressure.
  const sockets = () => [...(gw as unknown as { live: Map<string, { ws: WebSocket }> }).live.values()]

  async function stream(run: StreamRun): Promise<StreamResult> {
    const ids: string[] = []
    const sessions = new Map<string, number>()
    let wrong = 0
    let backpressureWaits = 0
    const firstReply = emu.replies.length
    const t0 = performance.now()
    const wall0 = Date.now()
    const acks0 = { dup: gw.duplicateAcks, redelivered: gw.redelivered }
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    let windowWaits = 0
    for (let i = 0; i < run.frames; i++) {
      if (run.mode === 'paced' && i % run.batch === 0) {
        // At most `window` frames un-acked: wait for the ack of the frame that far back.
        const back = ids[i + run.batch - 1 - run.window]
        if (back !== undefined && !gw.ackFor(back)) {
          windowWaits++
          await gw.waitForAck(back, run.timeoutMs)
        }
      }
      const payload = robotMessage({ text: run.text, oapiBase: emu.baseUrl })
      sessions.set(sessionOf(payload.sessionWebhook), 0)
      ids.push(gw.push(payload))
      if (run.mode === 'paced' && (i + 1) % run.batch === 0) {
        await yieldLoop()
        // A full socket: the bot is not reading. Wait (without spinning) until it is writable again.
        while (sockets().some((s) => s.ws.bufferedAmount > 0)) {
          backpressureWaits++
          await sleep(1)
        }
      }
    }
    const sendMs = performance.now() - t0
    const deadline = Date.now() + run.timeoutMs
    let acked = 0
    let ackedMs = Number.NaN
    let answeredMs = Number.NaN
    let seen = firstReply
    let answered = 0
    // Poll acks and replies together: every frame acked, every session answered, then settle.
    for (;;) {
      if (acked < ids.length) {
        while (acked < ids.length && gw.ackFor(ids[acked] as string)) acked++
        if (acked === ids.length) ackedMs = performance.now() - t0
      }
      for (; seen < emu.replies.length; seen++) {
        const r = emu.replies[seen]
        const n = r?.session === undefined ? undefined : sessions.get(r.session)
        if (n === undefined || !r) continue
        if (n === 0) answered++
        sessions.set(r.session as string, n + 1)
        if (!JSON.stringify(r.body).includes(run.expect)) wrong++
        if (answered === sessions.size && Number.isNaN(answeredMs)) answeredMs = r.at - wall0
      }
      if (acked === ids.length) loop.disable()
      if (acked === ids.length && answered === sessions.size) break
      if (Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 5))
    }
    await new Promise((r) => setTimeout(r, run.settleMs))
    for (; seen < emu.replies.length; seen++) {
      const r = emu.replies[seen]
      const n = r?.session === undefined ? undefined : sessions.get(r.session)
      if (n !== undefined) sessions.set(r?.session as string, n + 1)
    }
    loop.disable()
    const counts = [...sessions.values()]
    const latencies = ids.map((id) => gw.ackFor(id)?.latencyMs).filter((x): x is number => x !== undefined)
    return {
      frames: run.frames,
      mode: run.mode,
      batch: run.batch,
      sendMs,
      ackedMs,
      answeredMs,
      acked: latencies.length,
      duplicateAcks: gw.duplicateAcks - acks0.dup,
      redelivered: gw.redelivered - acks0.redelivered,
      answeredOnce: counts.filter((c) => c === 1).length,
      answeredTwiceOrMore: counts.filter((c) => c > 1).length,
      unanswered: counts.filter((c) => c === 0).length,
      wrongAnswers: wrong,
      backpressureWaits,
      windowWaits,
      ackLatencyMs: summarize(latencies),
      ackLatencyByTenth: Array.from({ length: 10 }, (_, i) => {
        const part = summarize(
          latencies.slice((i * latencies.length) / 10, ((i + 1) * latencies.length) / 10),
        )
        return { p50: part.p50, max: part.max }
      }),
      emulatorLoopDelayMs: {
        p50: round(loop.percentile(50) / 1e6),
        p99: round(loop.percentile(99) / 1e6),
        max: round(loop.max / 1e6),
      },
    }
  }

  async function handle(c: EmulatorCommand): Promise<unknown> {
    switch (c.cmd) {
      case 'counts':
        return {
          calls: { ...emu.calls },
          replies: emu.replies.length,
          stream: { openSockets: gw.openSockets, handshakes: gw.handshakes, pushed: gw.pushed },
        }
      case 'resetCounters':
        emu.resetCounters()
        return null
      case 'fail':
        emu.fail(c.target, c.fault)
        return null
      case 'clearFaults':
        emu.clearFaults()
        return null
      case 'waitForStream':
        await gw.waitFor(() => gw.openSockets > 0, c.timeoutMs, 'a stream connection')
        return null
      case 'repliesFor': {
        const want = new Set(c.sessions)
        return emu.replies.filter((r) => r.session !== undefined && want.has(r.session)).length
      }
      case 'stream':
        return stream(c)
      case 'setEvents':
        gw.setEvents(c.on)
        return null
      case 'timeline':
        for (const code of c.codes) {
          if (c.action === 'start') emu.timeline.start(code)
          else if (c.action === 'end') emu.timeline.end(code)
          else for (const nick of c.nicks ?? []) emu.timeline.join(code, nick)
        }
        return null
      case 'events':
        return {
          pushed: gw.eventsPushed,
          acked: gw.eventAcks.length,
          ackedLater: gw.eventAcks.filter((a) => a.status !== 'SUCCESS').length,
        } satisfies EventCounts
      case 'replyStats': {
        const seen = new Set<string>()
        const byVia: Record<string, number> = {}
        let repeats = 0
        const list = emu.replies.slice(c.from)
        for (const r of list) {
          byVia[r.via] = (byVia[r.via] ?? 0) + 1
          const key = `${r.conversationId ?? r.session}|${JSON.stringify(r.body)}`
          if (seen.has(key)) repeats++
          seen.add(key)
        }
        return { total: list.length, repeats, byVia } satisfies ReplyStats
      }
      case 'churn':
        return churn(emu, c)
      case 'isvCalls':
        return emu.isv.callsByOrg()
      case 'cardStats':
        return cardStats(emu, c.spacePrefix, c.from, c.to, c.boundMs)
    }
  }

  process.on('message', (m: { id: number } & EmulatorCommand) => {
    handle(m).then(
      (result) => send({ id: m.id, ok: true, result }),
      (err: unknown) => send({ id: m.id, ok: false, error: (err as Error).message }),
    )
  })
  process.on('disconnect', () => {
    void emu.close().finally(() => process.exit(0))
  })
  send({ ready: true, baseUrl: emu.baseUrl })
}

main().catch((err: unknown) => {
  process.stderr.write(`bench emulator: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
