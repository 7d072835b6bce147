import { randomBytes } from 'node:crypto'
import { BackgroundLoop } from '../../core/background-loop.js'
import type { Reply } from '../../core/message.js'
import type { ConferenceClient, ConferenceInfo } from '../../dingtalk/conference.js'
import { MEMBER_PAGE_SIZE } from '../../dingtalk/conference.js'
import type { Logger } from '../../logger.js'
import { endedNotice, expiredNotice, quotaNotice, startedNotice } from './card.js'
import { applyInfo, dueNotices, type NoticeKind, summaryOf, type Track, type Watch } from './model.js'
import { type NoticePort, Notifier } from './notify.js'
import { pollInterval } from './schedule.js'
import { keys, type WatchStore } from './store.js'

/** The knobs (`BOT_WATCH_*`, `BOT_MONTHLY_API_QUOTA`). */
export interface WatchSettings {
  /** `BOT_WATCH_POLL_MS`: the shortest poll interval (close to the start, while running). */
  readonly pollMs: number
  readonly monthlyQuota: number
  /** The share of the monthly quota polling may spend (0..1). */
  readonly quotaShare: number
  readonly maxPerChat: number
  readonly maxTotal: number
}

export const DEFAULT_WATCH_SETTINGS: WatchSettings = {
  pollMs: 60_000,
  monthlyQuota: 5000,
  quotaShare: 0.2,
  maxPerChat: 10,
  maxTotal: 100,
}

export interface EngineDeps {
  readonly store: WatchStore
  readonly conferences: Pick<ConferenceClient, 'getConference' | 'listMembers'>
  readonly notices: NoticePort
  readonly settings: WatchSettings
  readonly clock: () => number
  readonly log: Logger
  /** The wait before a failed notice's second attempt (it doubles each time); tests shorten it. */
  readonly retryBaseMs?: number
}

/** What `/status` shows of watches. */
export interface WatchStatus {
  readonly watches: number
  readonly chats: number
  readonly spent: number
  readonly budget: number
  readonly paused: boolean
}

const FINAL_LOCK_MS = 60_000

/**
 * The watches' background work: polls each watched meeting when its lease says it is due (one
 * replica per period), folds in what polls and events say, and sends the notices each watch is
 * owed, exactly once. Polling stops once the month's share of the quota is spent.
 */
export class WatchEngine {
  readonly owner = randomBytes(6).toString('hex')
  private readonly notifier: Notifier
  private readonly loop: BackgroundLoop
  /** Started notices known sent (this process), so a running meeting's ticks skip the store. */
  private readonly sentStarted = new Set<string>()

  constructor(private readonly deps: EngineDeps) {
    this.loop = new BackgroundLoop({
      pass: () => this.pass(),
      everyMs: () => this.tickMs,
      log: deps.log,
      name: 'watch',
    })
    this.notifier = new Notifier(deps.store, deps.notices, this.owner, deps.retryBaseMs)
  }

  get budget(): number {
    return Math.floor(this.deps.settings.monthlyQuota * this.deps.settings.quotaShare)
  }

  /** How often the poller looks at its leases: a quarter of the poll interval, 0.25 to 15 s. */
  get tickMs(): number {
    return Math.min(15_000, Math.max(250, Math.floor(this.deps.settings.pollMs / 4)))
  }

  start(): void {
    this.loop.start()
  }

  /** Stops polling; waits (bounded) for the polls and notices in flight. */
  stop(): Promise<void> {
    return this.loop.stop()
  }

  /**
   * Runs `work` in the background, counted for `stop`. Once stopped, none starts: what an event
   * recorded is sent by the next pass (after a restart, or by another replica).
   */
  background(work: () => Promise<unknown>): void {
    this.loop.background(work)
  }

  async spentOut(): Promise<boolean> {
    return (await this.deps.store.spentThisMonth()) >= this.budget
  }

  async status(): Promise<WatchStatus> {
    const all = await this.deps.store.all()
    const spent = await this.deps.store.spentThisMonth()
    return {
      watches: all.length,
      chats: new Set(all.map((w) => w.conversationId)).size,
      spent,
      budget: this.budget,
      paused: spent >= this.budget,
    }
  }

  /** One pass over every watched meeting: poll what is due, send what is owed. Never overlaps. */
  tick(): Promise<void> {
    return this.loop.tick()
  }

  private async pass(): Promise<void> {
    const { store, log } = this.deps
    let all: Watch[]
    try {
      all = await store.all()
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'watch: could not read the watches')
      return
    }
    const byConference = new Map<string, { watches: Watch[]; snapshot: ConferenceInfo }>()
    for (const w of all) {
      const entry = byConference.get(w.conferenceId) ?? { watches: [], snapshot: w.snapshot }
      entry.watches.push(w)
      byConference.set(w.conferenceId, entry)
    }
    // Followed meetings (live cards) are polled and settled alike; with no watch, no notice is owed.
    for (const f of await store.follows().catch(() => [])) {
      if (!byConference.has(f.conferenceId))
        byConference.set(f.conferenceId, { watches: [], snapshot: f.snapshot })
    }
    for (const [conferenceId, { watches, snapshot }] of byConference) {
      if (this.loop.stopped) return
      try {
        const track = (await store.track(conferenceId)) ?? (await store.ensureTrack(snapshot))
        await this.poll(track, watches)
        await this.settle(conferenceId, watches)
      } catch (err) {
        log.warn({ conferenceId, err: (err as Error).message }, 'watch: pass over a meeting failed')
      }
    }
  }

  /** Polls the meeting when its lease is free (then holds it for the next interval). */
  private async poll(track: Track, watches: readonly Watch[]): Promise<void> {
    if (track.status === 1) return
    const { store, conferences, settings, clock, log } = this.deps
    const s = store.store
    const lease = keys.pollLease(track.conferenceId)
    const interval = pollInterval(track, clock(), settings.pollMs)
    if (!(await s.setIfAbsent(lease, this.owner, interval))) return
    if (await this.spentOut()) {
      await this.sayQuotaSpent(watches)
      return
    }
    let info: ConferenceInfo | undefined
    try {
      info = await conferences.getConference(track.conferenceId)
    } catch (err) {
      log.warn(
        {
          conferenceId: track.conferenceId,
          err: (err as Error).message,
          kind: (err as { kind?: string }).kind,
        },
        'watch: poll failed',
      )
    }
    const now = clock()
    const { track: after } = await store.updateTrack(track.conferenceId, (t) => {
      if (info) applyInfo(t, info)
      if (info?.status === 1) t.endInfo = true
      t.lastPollAt = now
      t.calls++
      return true
    })
    await this.spend(undefined, 1)
    if (after) await s.compareAndSet(lease, this.owner, this.owner, pollInterval(after, now, settings.pollMs))
  }

  /** Counts calls spent on watches: this month's total and, given a meeting, its own. */
  private async spend(conferenceId: string | undefined, n: number): Promise<void> {
    await this.deps.store.countCalls(n)
    if (!conferenceId) return
    await this.deps.store.updateTrack(conferenceId, (t) => {
      t.calls += n
      return true
    })
  }

  /**
   * Sends what every watch of the meeting is owed now (started, the summary, expired) and drops
   * the watches that are done. Called by the poller (with the watches it read) and after an
   * event changed the meeting.
   */
  async settle(conferenceId: string, known?: readonly Watch[]): Promise<void> {
    const { store, clock, log } = this.deps
    let track = await store.track(conferenceId)
    if (!track) return
    if (track.status === 1 && !track.final) track = (await this.finalize(conferenceId)) ?? track
    // The pass read every watch a moment ago; an event's settle reads this meeting's.
    const watches = known ?? (await store.ofConference(conferenceId))
    for (const w of watches) {
      for (const kind of dueNotices(track, w, clock())) {
        const key = keys.notice(conferenceId, w.conversationId, kind)
        if (kind === 'started' && this.sentStarted.has(key)) continue
        const t = track
        const result = await this.notifier.once(
          key,
          w.chat,
          () => this.render(kind, t, w),
          log,
          () => this.spend(conferenceId, 1),
        )
        if (result !== 'sent' && result !== 'done' && result !== 'given-up') continue
        if (kind === 'started') {
          if (this.sentStarted.size >= 10_000) this.sentStarted.clear()
          this.sentStarted.add(key)
        } else await store.remove(w)
      }
    }
  }

  private render(kind: NoticeKind, t: Track, w: Watch): Reply {
    if (kind === 'started') return startedNotice(t, w)
    if (kind === 'ended') return endedNotice(summaryOf(t), w)
    return expiredNotice(t, w)
  }

  /**
   * Once a meeting ended: one fetch of the conference (when a poll has not just given its end)
   * and of its members (when no event named the host), then the summary is final. One replica
   * does it (a lock); over the quota share, or after three failures, the summary goes with what
   * was seen.
   */
  private async finalize(conferenceId: string): Promise<Track | undefined> {
    const { store, conferences, log } = this.deps
    const s = store.store
    const lock = keys.finalLock(conferenceId)
    if (!(await s.setIfAbsent(lock, this.owner, FINAL_LOCK_MS))) return undefined
    try {
      const track = await store.track(conferenceId)
      if (!track || track.final) return track
      let info: ConferenceInfo | undefined
      let host: string | undefined
      let calls = 0
      let failed = false
      const spent = await this.spentOut()
      try {
        if (!spent && !track.endInfo) {
          calls++
          info = await conferences.getConference(conferenceId)
        }
        if (!spent && !track.host) {
          const list = await conferences.listMembers(conferenceId)
          calls += Math.max(1, Math.ceil(list.members.length / MEMBER_PAGE_SIZE))
          host = list.members.find((m) => m.host)?.userNick
        }
      } catch (err) {
        failed = true
        log.warn({ conferenceId, err: (err as Error).message }, 'watch: fetching the summary failed')
      }
      const { track: after } = await store.updateTrack(conferenceId, (t) => {
        if (info) applyInfo(t, info)
        if (info?.status === 1) t.endInfo = true
        if (host) t.host = host
        t.calls += calls
        if (failed) t.finalTries++
        t.final = !failed || t.finalTries >= 3 || spent
        return true
      })
      if (calls > 0) await store.countCalls(calls)
      return after
    } finally {
      await s.compareAndDelete(lock, this.owner)
    }
  }

  /** Once per chat and month: polling has stopped, and why. */
  private async sayQuotaSpent(watches: readonly Watch[]): Promise<void> {
    const { store, clock, log } = this.deps
    const month = store.month()
    const spent = await store.spentThisMonth()
    const d = new Date(clock())
    const resumeAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
    const chats = new Map<string, Watch>()
    for (const w of watches) if (!chats.has(w.conversationId)) chats.set(w.conversationId, w)
    for (const w of chats.values()) {
      const key = keys.quotaNotice(month, w.conversationId)
      const reply = async () =>
        quotaNotice(await store.ofChat(w.conversationId), spent, this.budget, resumeAt, w)
      const result = await this.notifier.once(key, w.chat, reply, log, () => this.spend(undefined, 1))
      if (result === 'sent')
        log.warn({ spent, budget: this.budget }, 'watch: quota share spent; polling paused')
    }
  }
}
