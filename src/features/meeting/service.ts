import { UserFacingError } from '../../core/errors.js'
import type { Flight } from '../../core/flight.js'
import type {
  ConferenceClient,
  ConferenceInfo,
  ConferenceSummary,
  MemberList,
} from '../../dingtalk/conference.js'
import type { Keyspace } from '../../store/keyspaces.js'
import type { Store } from '../../store/store.js'
import type { MeetingRef } from './reference.js'
import { type Choice, chooseConference } from './select.js'
import { meetingStrings } from './strings.js'

/** No conference under that room code: the user's business, said plainly. */
export class MeetingNotFoundError extends UserFacingError {
  constructor(readonly ref: MeetingRef) {
    super(`no meeting for ${ref.kind === 'roomCode' ? `room code ${ref.code}` : `conference ${ref.id}`}`, {
      key: 'notFound',
      level: 'info',
      text: { en: meetingStrings('en').notFound, 'zh-CN': meetingStrings('zh-CN').notFound },
    })
    this.name = 'MeetingNotFoundError'
  }
}

export interface MeetingLookup {
  readonly conference: ConferenceInfo
  /** Meetings sharing the room code (1 for a lookup by conference id). */
  readonly sharedCount: number
  readonly choice: Choice | 'byId'
}

/**
 * How long an answer stays fresh. Live and upcoming meetings change by the second (people join);
 * an ended meeting never changes again. The org's monthly API quota is small, so every hit counts.
 */
export interface CacheTtls {
  readonly liveMs: number
  readonly upcomingMs: number
  readonly endedMs: number
  /** Room-code lists: a recurring room can get a new instance at any time. */
  readonly roomListMs: number
  /** "No such room": short, so a room created a minute later is found. */
  readonly notFoundMs: number
}

export const DEFAULT_TTLS: CacheTtls = {
  liveMs: 15_000,
  upcomingMs: 60_000,
  endedMs: 24 * 3600_000,
  roomListMs: 30_000,
  notFoundMs: 30_000,
}

export const MEETING_CACHE_PREFIX = 'meeting:'
/** Cached answers: kept across a restart (an ended meeting is worth a day of quota), dropped after an outage. */
export const meetingCacheKeyspace: Keyspace = {
  prefix: MEETING_CACHE_PREFIX,
  owner: 'features/meeting',
  persistence: 'behind',
  outage: 'drop',
}

/** How long a lookup's result is reused as is, at most (less when a cache TTL is shorter). */
export const RECENT_MS = 1000

export class MeetingService {
  private hits = 0
  private misses = 0
  /**
   * The last results, for a second: a meeting asked about many times a second (a busy group, an
   * all-hands) skips the store. After `/cache clear` on another instance sharing the store, this
   * one may answer from here for up to that second.
   */
  private readonly recent = new Map<string, { readonly lookup: MeetingLookup; readonly until: number }>()
  private readonly recentMs: number

  constructor(
    private readonly conferences: ConferenceClient,
    private readonly cache: Store,
    private readonly flight: Flight,
    private readonly ttls: CacheTtls = DEFAULT_TTLS,
    private readonly clock: () => number = Date.now,
  ) {
    this.recentMs = Math.min(RECENT_MS, ...Object.values(ttls))
  }

  /** Share of cache lookups answered without an upstream call, since start. */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.hits, misses: this.misses }
  }

  async lookup(ref: MeetingRef): Promise<MeetingLookup> {
    const key = ref.kind === 'conferenceId' ? `id:${ref.id}` : `room:${ref.code}`
    const now = this.clock()
    const hit = this.recent.get(key)
    if (hit && hit.until > now) {
      // Counted as the cache hits it stands for (room list and conference, or the conference).
      this.hits += ref.kind === 'roomCode' ? 2 : 1
      return hit.lookup
    }
    const lookup = await this.find(ref)
    if (this.recent.size >= 1000) this.recent.clear()
    this.recent.set(key, { lookup, until: now + this.recentMs })
    return lookup
  }

  /**
   * The meeting, as `lookup` finds it, and who DingTalk lists for it: cached beside the meeting
   * for as long as its status allows (seconds while it runs, a day once it ended), one upstream
   * call for all who ask at once.
   */
  async members(ref: MeetingRef): Promise<{ lookup: MeetingLookup; list: MemberList }> {
    const lookup = await this.lookup(ref)
    const c = lookup.conference
    const list = await this.cached(
      `${MEETING_CACHE_PREFIX}members:${c.conferenceId}`,
      () => this.ttlFor(c),
      () => this.conferences.listMembers(c.conferenceId),
    )
    return { lookup, list }
  }

  private async find(ref: MeetingRef): Promise<MeetingLookup> {
    if (ref.kind === 'conferenceId') {
      return { conference: await this.conference(ref.id), sharedCount: 1, choice: 'byId' }
    }
    const list = await this.cached(
      `${MEETING_CACHE_PREFIX}room:${ref.code}`,
      (l: ConferenceSummary[]) =>
        l.length === 0
          ? this.ttls.notFoundMs
          : Math.min(this.ttls.roomListMs, ...l.map((c) => this.ttlFor(c))),
      async () => (await this.conferences.listByRoomCode(ref.code)).conferences,
    )
    const picked = chooseConference(list)
    if (!picked) throw new MeetingNotFoundError(ref)
    const conference = await this.conference(picked.chosen.conferenceId)
    return { conference, sharedCount: list.length, choice: picked.choice }
  }

  /** Drops cached answers: all of them, or those of one room code. Resolves how many went. */
  async clear(roomCode?: string): Promise<number> {
    this.recent.clear()
    if (!roomCode) return this.cache.deletePrefix(MEETING_CACHE_PREFIX)
    const key = `${MEETING_CACHE_PREFIX}room:${roomCode}`
    const list = await this.cache.get(key)
    const ids = list ? (JSON.parse(list) as ConferenceSummary[]).map((c) => c.conferenceId) : []
    let n = 0
    const perMeeting = ids.flatMap((id) => [
      `${MEETING_CACHE_PREFIX}conf:${id}`,
      `${MEETING_CACHE_PREFIX}members:${id}`,
    ])
    for (const k of [key, ...perMeeting]) {
      if ((await this.cache.get(k)) !== undefined) n++
      await this.cache.delete(k)
    }
    return n
  }

  private conference(id: string): Promise<ConferenceInfo> {
    return this.cached(
      `${MEETING_CACHE_PREFIX}conf:${id}`,
      (c: ConferenceInfo) => this.ttlFor(c),
      () => this.conferences.getConference(id),
    )
  }

  private ttlFor(c: ConferenceSummary): number {
    if (c.status === 1) return this.ttls.endedMs
    return c.status === 2 ? this.ttls.liveMs : this.ttls.upcomingMs
  }

  /** The last parse of each hot cache entry: the same JSON string gives the same (read-only) object. */
  private readonly parsed = new Map<string, { raw: string; value: unknown }>()

  private parse<T>(key: string, raw: string): T {
    const p = this.parsed.get(key)
    if (p?.raw === raw) return p.value as T
    const value = JSON.parse(raw) as T
    if (this.parsed.size >= 1000) this.parsed.clear()
    this.parsed.set(key, { raw, value })
    return value
  }

  private async cached<T>(key: string, ttl: (value: T) => number, load: () => Promise<T>): Promise<T> {
    const hit = await this.cache.get(key)
    if (hit !== undefined) {
      this.hits++
      return this.parse<T>(key, hit)
    }
    return this.flight.run(key, async () => {
      // Re-check inside the flight: a flight that just finished may have filled the cache.
      const again = await this.cache.get(key)
      if (again !== undefined) {
        this.hits++
        return this.parse<T>(key, again)
      }
      this.misses++
      const value = await load()
      await this.cache.set(key, JSON.stringify(value), ttl(value))
      return value
    })
  }
}
