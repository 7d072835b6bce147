/**
 * The live-card scenario's side of the emulator process (see emulator-process.ts): its meetings,
 * the members who come and go in them, and what the bot did to the cards, measured where DingTalk
 * would see it (the time each `PUT /v1.0/card/instances` arrived).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { DingTalkEmulator } from '../../src/emulator/emulator.js'
import type { EmulatorMeeting } from '../../src/emulator/meetings.js'
import {
  CARD_ROOMS,
  type CardStats,
  type ChurnResult,
  type ChurnRun,
  cardRoom,
} from './lib/emulator-protocol.js'
import { summarize } from './lib/stats.js'

/** In progress since five minutes before the emulator started, nobody in yet. */
export function cardMeetings(now: number): EmulatorMeeting[] {
  return Array.from({ length: CARD_ROOMS }, (_, i) => ({
    conferenceId: `be6c${i.toString(16).padStart(20, '0')}`,
    roomCode: cardRoom(i),
    title: `Live card room ${i}`,
    status: 2,
    startTime: now - 5 * 60_000,
    creatorNick: 'Bench',
    activeNum: 0,
    attendNum: 0,
    invitedNum: 12,
    members: [],
  }))
}

/**
 * Member events at a steady rate: meeting `i` changes every `periodMs`, the meetings' turns spread
 * evenly over the period. The first turn brings the host in (who stays, so the summary at the end
 * needs no member lookup); then people join until `inMeeting` are in, and from there one leaves,
 * one joins, and so on: every change moves "in the meeting now".
 */
export async function churn(emu: DingTalkEmulator, run: ChurnRun): Promise<ChurnResult> {
  const n = run.codes.length
  const state = run.codes.map(() => ({
    host: false,
    inside: [] as string[],
    outside: Array.from({ length: run.inMeeting * 2 }, (_, k) => `Guest ${k + 1}`),
  }))
  let done = 0
  let joins = 0
  let leaves = 0
  let errors = 0
  const t0 = performance.now()
  for (;;) {
    const elapsed = performance.now() - t0
    const due = Math.floor((Math.min(elapsed, run.durationMs) * n) / run.periodMs)
    for (; done < due; done++) {
      const i = done % n
      const s = state[i] as (typeof state)[number]
      const code = run.codes[i] as string
      try {
        if (!s.host) {
          emu.timeline.join(code, 'Host', { host: true })
          s.host = true
          joins++
        } else if (s.inside.length + 1 < run.inMeeting) {
          const nick = s.outside.shift() as string
          emu.timeline.join(code, nick)
          s.inside.push(nick)
          joins++
        } else {
          const nick = s.inside.shift() as string
          emu.timeline.leave(code, nick)
          s.outside.push(nick)
          leaves++
          // Next turn someone joins again (inside is below the bound now).
        }
      } catch {
        errors++
      }
    }
    if (elapsed >= run.durationMs) break
    await sleep(10)
  }
  return { joins, leaves, errors, ms: Math.round(performance.now() - t0) }
}

/** The cards in chats `spacePrefix…`: created, updated (when, how often), frozen. */
export function cardStats(
  emu: DingTalkEmulator,
  spacePrefix: string,
  from: number,
  to: number,
  boundMs: number,
): CardStats {
  const cards = emu.cards.list().filter((c) => c.space.id.startsWith(spacePrefix))
  let updatesInWindow = 0
  let cardsUpdatedInWindow = 0
  let updatesTotal = 0
  let minGapMs = Number.POSITIVE_INFINITY
  let minLiveGapMs = Number.POSITIVE_INFINITY
  let frozenOnce = 0
  let frozenMore = 0
  let notFrozen = 0
  let afterFreeze = 0
  let showEnded = 0
  let gapsBelowBound = 0
  const gaps: number[] = []
  const perSecond = new Map<number, number>()
  for (const card of cards) {
    const updates = card.updates.filter((u) => u.by === 'api')
    updatesTotal += updates.length
    let inWindow = 0
    let freezes = 0
    for (let k = 0; k < updates.length; k++) {
      const u = updates[k] as (typeof updates)[number]
      const frozen = u.data.live === 'false'
      if (freezes > 0) afterFreeze++
      if (frozen) freezes++
      if (u.at >= from && u.at < to) {
        inWindow++
        const second = Math.floor(u.at / 1000)
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1)
      }
      const prev = updates[k - 1]
      if (!prev) continue
      const gap = u.at - prev.at
      minGapMs = Math.min(minGapMs, gap)
      if (gap < boundMs) gapsBelowBound++
      if (!frozen) minLiveGapMs = Math.min(minLiveGapMs, gap)
      if (prev.at >= from && u.at < to) gaps.push(gap)
    }
    updatesInWindow += inWindow
    if (inWindow > 0) cardsUpdatedInWindow++
    if (freezes === 1) frozenOnce++
    else if (freezes > 1) frozenMore++
    else notFrozen++
    if (card.data.status === 'ended' && card.data.live === 'false') showEnded++
  }
  const g = summarize(gaps)
  return {
    instances: cards.length,
    updatesInWindow,
    cardsUpdatedInWindow,
    updatesTotal,
    minGapMs: Number.isFinite(minGapMs) ? minGapMs : -1,
    minLiveGapMs: Number.isFinite(minLiveGapMs) ? minLiveGapMs : -1,
    gapsBelowBound,
    gapMs: { p50: g.p50, p99: g.p99, max: g.max, count: g.count },
    peakPerSecond: Math.max(0, ...perSecond.values()),
    frozenOnce,
    frozenMore,
    notFrozen,
    afterFreeze,
    showEnded,
  }
}
