import type { Keyspace } from '../../store/keyspaces.js'

/* The watch feature's keyspaces: what each keeps, across a restart and a Redis outage. */

/** The watches: they survive a restart (committed before the bot confirms) and a Redis outage. */
export const watchKeyspace: Keyspace = {
  prefix: 'watch:',
  owner: 'features/watch',
  persistence: 'confirmed',
  outage: 'mirror',
}

/** What the bot has seen of each watched meeting: the summary is built from it. */
export const trackKeyspace: Keyspace = {
  prefix: 'watch-track:',
  owner: 'features/watch',
  persistence: 'confirmed',
  outage: 'mirror',
}

/**
 * Notice claims: `claimed:<owner>` while one replica sends, `sent` after; `backoff` after a
 * failure (until it lapses). Committed, so a restart does not post a notice again; after an
 * outage the shared value wins, as for the de-dup ledger.
 */
export const noticeKeyspace: Keyspace = {
  prefix: 'watch-notice:',
  owner: 'features/watch',
  persistence: 'confirmed',
  outage: 'add',
}

/** Poll leases (one replica polls a meeting per period) and the end-of-meeting fetch's lock. */
export const pollKeyspace: Keyspace = {
  prefix: 'watch-poll:',
  owner: 'features/watch',
  persistence: 'volatile',
  outage: 'drop',
}

/**
 * Meetings followed without a watch (a live card shows them): polled and fed by events like a
 * watched meeting, no notices. Kept across a restart, as the live cards that follow them are.
 */
export const followKeyspace: Keyspace = {
  prefix: 'watch-follow:',
  owner: 'features/watch',
  persistence: 'confirmed',
  outage: 'mirror',
}

/** Calls spent on watches this month, for the quota share. */
export const usageKeyspace: Keyspace = {
  prefix: 'watch-usage:',
  owner: 'features/watch',
  persistence: 'behind',
  outage: 'drop',
}

export const WATCH_KEYSPACES = [
  watchKeyspace,
  trackKeyspace,
  noticeKeyspace,
  pollKeyspace,
  usageKeyspace,
  followKeyspace,
]
