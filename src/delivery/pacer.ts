export interface PacerOptions {
  /** Sends allowed per conversation per window. DingTalk blocks a robot above ~20 a minute per group. */
  readonly limit: number
  readonly windowMs: number
  /** Longest a reply may queue; past that it is dropped (and logged) instead of piling up. */
  readonly maxWaitMs: number
}

export const DEFAULT_PACING: PacerOptions = { limit: 18, windowMs: 60_000, maxWaitMs: 60_000 }

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
  /** Window start of the last "slow down" notice, so it is said once per window. */
  noticedAt: number
}

/**
 * Outbound pacing per conversation: a sliding window of scheduled send times. A reply over the
 * limit is scheduled for the first free slot (queued, not dropped) unless that is too far away.
 */
export class Pacer {
  private readonly lanes = new Map<string, Lane>()

  constructor(
    private readonly opts: PacerOptions = DEFAULT_PACING,
    private readonly clock: () => number = Date.now,
  ) {}

  reserve(key: string): Reservation {
    const now = this.clock()
    const lane = this.lane(key, now)
    const { limit, windowMs } = this.opts
    const at = lane.times.length >= limit ? Math.max(now, (lane.times.at(-limit) as number) + windowMs) : now
    if (at - now > this.opts.maxWaitMs) return { ok: false, retryInMs: at - now }
    lane.times.push(at)
    const firstDelay = at > now && now - lane.noticedAt >= windowMs
    if (firstDelay) lane.noticedAt = now
    return { ok: true, delayMs: at - now, firstDelay }
  }

  private lane(key: string, now: number): Lane {
    let lane = this.lanes.get(key)
    if (!lane) {
      if (this.lanes.size > 10_000) this.sweep(now)
      lane = { times: [], noticedAt: Number.NEGATIVE_INFINITY }
      this.lanes.set(key, lane)
    }
    const cutoff = now - this.opts.windowMs
    while (lane.times.length > 0 && (lane.times[0] as number) <= cutoff) lane.times.shift()
    return lane
  }

  /** Forgets quiet conversations so the map stays bounded. */
  private sweep(now: number): void {
    for (const [key, lane] of this.lanes) {
      if ((lane.times.at(-1) ?? 0) <= now - this.opts.windowMs) this.lanes.delete(key)
    }
  }
}
