import type { EventContext, EventHandler } from '../../core/event.js'
import type { ConferenceInfo } from '../../dingtalk/conference.js'
import type { WatchEngine } from './engine.js'
import { applyMemberEvent, applyStatusEvent, type MemberNews } from './model.js'
import type { WatchStore } from './store.js'

/*
 * Meeting events (platform notes §9), as an accelerator: what they say is folded into the
 * meeting's track, ordered by `statusSeqNum` (an event not newer than the last one applied
 * changes nothing), and the notices it makes due go out in the background. A meeting nobody
 * watches costs one store read. The handlers resolve once the change is committed; a store
 * failure rejects, so the core asks DingTalk to push the event again.
 */

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined)

/** `data` of `meeting_status_change`: the conference and the sequence number, or undefined. */
export function parseStatusEvent(
  data: unknown,
): { seq: number; conf: Partial<ConferenceInfo> & { conferenceId: string } } | undefined {
  const d = obj(data)
  const m = obj(d?.openConfModel)
  const conferenceId = str(m?.conferenceId)
  const seq = num(d?.statusSeqNum)
  if (!m || !conferenceId || seq === undefined) return undefined
  const status = num(m.status)
  const conf: Partial<ConferenceInfo> & { conferenceId: string } = { conferenceId }
  if (status === 0 || status === 1 || status === 2) conf.status = status
  const title = str(m.title)
  if (title) conf.title = title
  const creatorNick = str(m.creatorNick)
  if (creatorNick) conf.creatorNick = creatorNick
  const roomCode = str(m.roomCode)
  if (roomCode) conf.roomCode = roomCode
  const link = str(m.externalLinkUrl)
  if (link) conf.externalLinkUrl = link
  for (const k of ['startTime', 'confDuration', 'activeNum', 'attendNum', 'invitedNum'] as const) {
    const v = num(m[k])
    if (v !== undefined) conf[k] = v
  }
  return { seq, conf }
}

/** `data` of `meeting_member_status_change`: the entries by conference, and the sequence number. */
export function parseMemberEvent(
  data: unknown,
): { seq: number; byConference: Map<string, MemberNews[]> } | undefined {
  const d = obj(data)
  const seq = num(d?.statusSeqNum)
  if (!d || seq === undefined || !Array.isArray(d.openMemberModels)) return undefined
  const byConference = new Map<string, MemberNews[]>()
  for (const raw of d.openMemberModels) {
    const m = obj(raw)
    const conferenceId = str(m?.conferenceId)
    const userId = str(m?.userId) ?? str(m?.unionId)
    if (!m || !conferenceId || !userId) continue
    const news: MemberNews = {
      userId,
      ...(str(m.userNick) ? { nick: str(m.userNick) } : {}),
      ...(num(m.attendStatus) !== undefined ? { attendStatus: num(m.attendStatus) } : {}),
      ...(num(m.joinTime) !== undefined ? { joinTime: num(m.joinTime) } : {}),
      ...(num(m.leaveTime) !== undefined ? { leaveTime: num(m.leaveTime) } : {}),
      ...(m.host === true ? { host: true } : {}),
    }
    byConference.set(conferenceId, [...(byConference.get(conferenceId) ?? []), news])
  }
  return { seq, byConference }
}

export function watchEventHandlers(store: WatchStore, engine: WatchEngine): Record<string, EventHandler> {
  const status: EventHandler = async (ctx: EventContext) => {
    const parsed = parseStatusEvent(ctx.event.data)
    if (!parsed) {
      ctx.log.debug('watch: meeting_status_change without a conference or statusSeqNum; ignored')
      return
    }
    const { conferenceId } = parsed.conf
    const news = { seq: parsed.seq, bornAt: ctx.event.bornAt, conf: parsed.conf }
    const { changed } = await store.updateTrack(conferenceId, (t) => applyStatusEvent(t, news, ctx.now))
    if (changed) engine.background(() => engine.settle(conferenceId))
  }
  const members: EventHandler = async (ctx: EventContext) => {
    const parsed = parseMemberEvent(ctx.event.data)
    if (!parsed) {
      ctx.log.debug('watch: meeting_member_status_change without members or statusSeqNum; ignored')
      return
    }
    for (const [conferenceId, list] of parsed.byConference) {
      await store.updateTrack(conferenceId, (t) =>
        applyMemberEvent(t, parsed.seq, ctx.event.bornAt, list, ctx.now),
      )
    }
  }
  return {
    meeting_status_change: status,
    meeting_status_change_target_push: status,
    meeting_member_status_change: members,
    meeting_member_status_change_target_push: members,
  }
}
