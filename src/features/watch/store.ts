import type { ConferenceInfo } from '../../dingtalk/conference.js'
import type { Store } from '../../store/store.js'
import { type NoticeKind, newTrack, type Track, type Watch } from './model.js'

/** Watches and tracks are kept at most this long (a garbage bound; watches end well before). */
const KEEP_MS = 60 * 24 * 3600_000
/** A notice sent (or given up) is remembered this long: far past any watch's life. */
const NOTICE_MEMORY_MS = 40 * 24 * 3600_000

const chatPart = (conversationId: string) => encodeURIComponent(conversationId)

export const keys = {
  watch: (conferenceId: string, conversationId: string) =>
    `watch:${conferenceId}:${chatPart(conversationId)}`,
  watchesOf: (conferenceId: string) => `watch:${conferenceId}:`,
  track: (conferenceId: string) => `watch-track:${conferenceId}`,
  notice: (conferenceId: string, conversationId: string, kind: NoticeKind) =>
    `watch-notice:${conferenceId}:${chatPart(conversationId)}:${kind}`,
  quotaNotice: (month: string, conversationId: string) =>
    `watch-notice:quota:${month}:${chatPart(conversationId)}`,
  follow: (conferenceId: string) => `watch-follow:${conferenceId}`,
  pollLease: (conferenceId: string) => `watch-poll:${conferenceId}`,
  finalLock: (conferenceId: string) => `watch-poll:final:${conferenceId}`,
  month: (month: string) => `watch-usage:${month}`,
}

export { NOTICE_MEMORY_MS }

/** A meeting followed for a live card: until when, and what the first lookup said. */
export interface Follow {
  readonly conferenceId: string
  readonly until: number
  readonly snapshot: ConferenceInfo
}

function parse<T>(raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined
  try {
    return JSON.parse(raw) as T
  } catch {
    return undefined
  }
}

/** The watch feature's reads and writes; every write of a watch is committed before it resolves. */
export class WatchStore {
  constructor(
    readonly store: Store,
    private readonly clock: () => number,
  ) {}

  /** Every watch, of every chat (a small keyspace: the global cap bounds it). */
  async all(): Promise<Watch[]> {
    return this.list('watch:')
  }

  async ofConference(conferenceId: string): Promise<Watch[]> {
    return this.list(keys.watchesOf(conferenceId))
  }

  async ofChat(conversationId: string): Promise<Watch[]> {
    return (await this.all()).filter((w) => w.conversationId === conversationId)
  }

  private async list(prefix: string): Promise<Watch[]> {
    const out: Watch[] = []
    for (const [, raw] of await this.store.entries(prefix)) {
      const w = parse<Watch>(raw)
      if (w && typeof w.conferenceId === 'string' && typeof w.conversationId === 'string') out.push(w)
    }
    return out.sort((a, b) => a.createdAt - b.createdAt)
  }

  async put(w: Watch): Promise<void> {
    await this.store.set(keys.watch(w.conferenceId, w.conversationId), JSON.stringify(w), KEEP_MS)
  }

  async remove(w: Pick<Watch, 'conferenceId' | 'conversationId'>): Promise<void> {
    await this.store.delete(keys.watch(w.conferenceId, w.conversationId))
    await this.dropTrackIfUnused(w.conferenceId)
  }

  /** A track nobody watches or follows any more goes. */
  private async dropTrackIfUnused(conferenceId: string): Promise<void> {
    if ((await this.ofConference(conferenceId)).length > 0) return
    if ((await this.store.get(keys.follow(conferenceId))) !== undefined) return
    await this.store.delete(keys.track(conferenceId))
  }

  /** Follows the meeting until `until` (epoch ms; a later follow extends it), its track made from `c`. */
  async follow(c: ConferenceInfo, until: number): Promise<Track> {
    const key = keys.follow(c.conferenceId)
    const known = parse<Follow>(await this.store.get(key))
    const keep = Math.max(until, known?.until ?? 0)
    const ttl = Math.max(60_000, keep - this.clock() + 3600_000)
    await this.store.set(key, JSON.stringify({ conferenceId: c.conferenceId, until: keep, snapshot: c }), ttl)
    return this.ensureTrack(c)
  }

  async unfollow(conferenceId: string): Promise<void> {
    await this.store.delete(keys.follow(conferenceId))
    await this.dropTrackIfUnused(conferenceId)
  }

  /** The meetings followed and not past their time. */
  async follows(): Promise<Follow[]> {
    const now = this.clock()
    const out: Follow[] = []
    for (const [, raw] of await this.store.entries('watch-follow:')) {
      const f = parse<Follow>(raw)
      if (f && typeof f.conferenceId === 'string' && f.until > now) out.push(f)
    }
    return out
  }

  async track(conferenceId: string): Promise<Track | undefined> {
    return parse<Track>(await this.store.get(keys.track(conferenceId)))
  }

  /** The meeting's track, made from `c` when there is none yet. */
  async ensureTrack(c: ConferenceInfo): Promise<Track> {
    await this.store.setIfAbsent(keys.track(c.conferenceId), JSON.stringify(newTrack(c)), KEEP_MS)
    return (await this.track(c.conferenceId)) ?? newTrack(c)
  }

  /**
   * Changes a track by `change` (which says whether it changed anything), with compare-and-set:
   * replicas and events racing on one meeting never lose each other's news. Resolves the track
   * after the change (undefined when there is none) and whether it changed.
   */
  async updateTrack(
    conferenceId: string,
    change: (t: Track) => boolean,
  ): Promise<{ track: Track | undefined; changed: boolean }> {
    const key = keys.track(conferenceId)
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = await this.store.get(key)
      const track = parse<Track>(raw)
      if (raw === undefined || !track) return { track: undefined, changed: false }
      if (!change(track)) return { track, changed: false }
      if (await this.store.compareAndSet(key, raw, JSON.stringify(track), KEEP_MS))
        return { track, changed: true }
    }
    throw new Error(`watch track ${conferenceId}: too many concurrent changes`)
  }

  month(): string {
    return new Date(this.clock()).toISOString().slice(0, 7)
  }

  /** Calls spent on watches this (calendar, UTC) month. */
  async spentThisMonth(): Promise<number> {
    return Number(await this.store.get(keys.month(this.month()))) || 0
  }

  async countCalls(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.store.increment(keys.month(this.month()), NOTICE_MEMORY_MS)
  }
}
