import type { ConferenceSummary } from '../../dingtalk/conference.js'

export type Choice = 'inProgress' | 'upcoming' | 'latestEnded'

/**
 * One room code can name several conferences (booked or recurring meetings). The one people mean
 * is the meeting in progress, else the next one not yet started, else the one that ended last.
 */
export function chooseConference(
  list: readonly ConferenceSummary[],
): { chosen: ConferenceSummary; choice: Choice } | undefined {
  const by = (status: number) => list.filter((c) => c.status === status)
  const start = (c: ConferenceSummary) => c.startTime ?? 0
  const live = by(2).sort((a, b) => start(b) - start(a))[0]
  if (live) return { chosen: live, choice: 'inProgress' }
  const upcoming = by(0).sort((a, b) => start(a) - start(b))[0]
  if (upcoming) return { chosen: upcoming, choice: 'upcoming' }
  const ended = [...list].sort((a, b) => (b.endTime ?? start(b)) - (a.endTime ?? start(a)))[0]
  return ended ? { chosen: ended, choice: 'latestEnded' } : undefined
}
