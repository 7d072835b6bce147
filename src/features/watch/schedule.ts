import type { Track } from './model.js'

const MIN = 60_000
const HOUR = 60 * MIN

/** Events for a meeting within this long make polling while it runs a slow safety net. */
export const EVENTS_RECENT_MS = 30 * MIN

/**
 * How long until a watched meeting is polled again (`pollMs` is `BOT_WATCH_POLL_MS`):
 * - not started, more than 15 min ahead: a quarter of the time left (at most 4 h, at least `pollMs`),
 *   so a meeting a day ahead costs about 16 polls before it comes close;
 * - from 15 min before its scheduled start to 30 min after: every `pollMs`;
 * - later than that and still not started: every 5 × `pollMs`, until the watch expires;
 * - in progress: every `pollMs`, or every 10 × `pollMs` while meeting events arrive for it;
 * - ended: not polled (one final fetch builds the summary).
 */
export function pollInterval(t: Track, now: number, pollMs: number): number {
  if (t.status === 2) {
    const events = t.lastEventAt !== undefined && now - t.lastEventAt < EVENTS_RECENT_MS
    return events ? 10 * pollMs : pollMs
  }
  if (t.status === 1) return pollMs
  const ahead = (t.scheduledStart ?? now) - now
  if (ahead > 15 * MIN) return Math.max(pollMs, Math.min(ahead / 4, 4 * HOUR))
  if (ahead > -30 * MIN) return pollMs
  return 5 * pollMs
}

/** About how many calls an hour polling a meeting costs now, for `watches`. */
export function callsPerHour(t: Track, now: number, pollMs: number): number {
  if (t.status === 1) return 0
  return Math.round(HOUR / pollInterval(t, now, pollMs))
}
