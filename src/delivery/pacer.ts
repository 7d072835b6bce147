export interface PacerOptions {
  /** Sends allowed per conversation per window. DingTalk blocks a robot above ~20 a minute per group. */
  readonly limit: number
  readonly windowMs: number
  /** Longest a reply may queue; past that it is dropped (and logged) instead of piling up. */
  readonly maxWaitMs: number
}

export const DEFAULT_PACING: PacerOptions = { limit: 18, windowMs: 60_000, maxWaitMs: 60_000 }

const FIRST: Reservation = { ok: true, delayMs: 0, firstDelay: false }

/** Below this many conversations the pacer never sweeps. */
const SWEEP_FLOOR = 10_000

export type Reservation =
  | {
      readonly ok: true
      readonly delayMs: number /** First delayed reply in this window. */
      readonly firstDelay: boolean
    }
  | { readonly ok: false; readonly retryInMs: number }

interface Lane {
  /** Scheduled send times, ascending; reservations in the future count too. */
  times: number[]
  /** Window start of the last "slow down" notice, so it is said once per window; unset: never. */
  noticedAt?: number
}

/**
 * Outbound pacing per conversation: a sliding window of scheduled send times. A reply over the
 * limit is scheduled for the first free slot (queued, not dropped) unless that is too far away.
 */
export class Pacer {
  /** A conversation with one reply in the window is just its send time; a Lane from the second. */
  private readonly lanes = new Map<string, Lane | number>()
  /** Map size that triggers the next sweep: doubles with the live set, so sweeps stay amortised O(1). */
  private sweepAt = SWEEP_FLOOR + 1

  constructor(
    private readonly opts: PacerOptions = DEFAULT_PACING,
    private readonly clock: () => number = Date.now,
  ) {}

  reserve(key: string): Reservation {
    const now = this.clock()
    const { limit, windowMs } = this.opts
    const found = this.lanes.get(key)
    if (found === undefined || (typeof found === 'number' && found <= now - windowMs)) {
      // A conversation's first reply (in a window) never waits. Most conversations stay at that,
      // and there is one entry per conversation answered in the last window: keep it to a number.
      if (found === undefined && this.lanes.size >= this.sweepAt) this.sweep(now)
      this.lanes.set(key, now)
      return FIRST
    }
    let lane: Lane
    if (typeof found === 'number') {
      lane = { times: [found] }
      this.lanes.set(key, lane)
    } else {
      lane = found
    }
    const cutoff = now - windowMs
    while (lane.times.length > 0 && (lane.times[0] as number) <= cutoff) lane.times.shift()
    const at = lane.times.length >= limit ? Math.max(now, (lane.times.at(-limit) as number) + windowMs) : now
    if (at - now > this.opts.maxWaitMs) return { ok: false, retryInMs: at - now }
    lane.times.push(at)
    const firstDelay = at > now && (lane.noticedAt === undefined || now - lane.noticedAt >= windowMs)
    if (firstDelay) lane.noticedAt = now
    return { ok: true, delayMs: at - now, firstDelay }
  }

  /**
   * Forgets quiet conversations so the map stays bounded (at most twice the conversations answered
   * in the last window). The next sweep waits until the map has doubled: with more than
   * `SWEEP_FLOOR` conversations active in one window, sweeping on every new one would cost a full
   * pass per reply (benchmarked: HTTP throughput fell from ~2,000/s to ~700/s within seconds).
   */
  private sweep(now: number): void {
    for (const [key, lane] of this.lanes) {
      const last = typeof lane === 'number' ? lane : (lane.times.at(-1) ?? 0)
      if (last <= now - this.opts.windowMs) this.lanes.delete(key)
    }
    this.sweepAt = Math.max(SWEEP_FLOOR + 1, this.lanes.size * 2)
  }
}
