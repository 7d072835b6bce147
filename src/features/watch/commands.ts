import { formatTime } from '../../cards/format.js'
import type { Command, CommandContext } from '../../core/commands.js'
import type { Locale } from '../../core/locale.js'
import { markdownReply, textReply } from '../../core/reply.js'
import type { ConferenceInfo } from '../../dingtalk/conference.js'
import type { Logger } from '../../logger.js'
import { formatRoomCode, type ListedWatch, meetingName, watchesList } from './card.js'
import type { WatchEngine, WatchSettings } from './engine.js'
import { expiryOf, MAX_AHEAD_MS, type Watch } from './model.js'
import type { NoticePort } from './notify.js'
import { callsPerHour, pollInterval } from './schedule.js'
import { keys, type WatchStore } from './store.js'
import { watchStrings } from './strings.js'

/** A meeting reference as the meeting feature parses it (room code, conference id, join link). */
export type MeetingRef =
  | { readonly kind: 'roomCode'; readonly code: string }
  | { readonly kind: 'conferenceId'; readonly id: string }

/**
 * How the watch feature finds a meeting: the meeting feature's parser and cached lookup, handed
 * over by `features/index.ts` (a feature never imports another). A room code with several
 * meetings resolves as the meeting card does (in progress, else the next one); an unknown one
 * throws the meeting feature's not-found error, which the error boundary reads.
 */
export interface Meetings {
  parse(text: string): MeetingRef | undefined
  lookup(ref: MeetingRef): Promise<{ conference: ConferenceInfo; sharedCount: number; choice: string }>
}

export interface CommandDeps {
  readonly meetings: Meetings
  readonly store: WatchStore
  readonly engine: WatchEngine
  readonly notices: NoticePort
  readonly settings: WatchSettings
}

const reply = (ctx: CommandContext, text: string) =>
  markdownReply(watchStrings(ctx.locale).listTitle, text, ctx.mention)

/** `watch <code>`: notices in this chat when the meeting starts and when it ends. */
export function watchCommand(deps: CommandDeps): Command {
  const { meetings } = deps
  return {
    name: 'watch',
    aliases: ['关注'],
    summary: {
      en: 'tell this chat when a meeting starts and how it went when it ends',
      'zh-CN': '会议开始和结束时在这个聊天里通知',
    },
    usage: {
      en: 'watch <room code | conference id | join link>',
      'zh-CN': '关注 <会议号 | 会议 ID | 入会链接>',
    },
    async run(ctx) {
      const t = watchStrings(ctx.locale)
      const ref = meetings.parse(ctx.args)
      if (!ref) return textReply(t.watchUsage, ctx.mention)
      // A one-to-one notice goes to the person's staff id: without one, nothing could be sent.
      if (ctx.msg.conversation.type === 'single' && !ctx.msg.sender.staffId) return reply(ctx, t.noStaffId)
      const found = await meetings.lookup(ref)
      const added = await addWatch(deps, {
        ...found,
        chat: deps.notices.address(ctx.msg),
        conversationId: ctx.msg.conversation.id,
        by: { staffId: ctx.msg.sender.staffId, nick: ctx.msg.sender.nick },
        locale: ctx.locale,
        timeZone: ctx.timeZone,
        now: ctx.now,
        log: ctx.log,
      })
      return reply(ctx, added.text)
    },
  }
}

/** What a new watch is made of: the meeting as looked up, and the chat that asked. */
export interface WatchRequest {
  readonly conference: ConferenceInfo
  readonly sharedCount: number
  readonly choice: string
  /** Where notices go (the notice port's address of the asking message). */
  readonly chat: unknown
  readonly conversationId: string
  readonly by: { readonly staffId: string; readonly nick: string }
  readonly locale: Locale
  readonly timeZone: string
  readonly now: number
  readonly log: Logger
}

/**
 * Adds the chat's watch of the meeting (the `watch` command, a live card's Watch button): the
 * caps, the ended and too-far checks; `added` says whether it was added, `text` what to tell.
 */
export async function addWatch(
  deps: Pick<CommandDeps, 'store' | 'engine' | 'settings'>,
  req: WatchRequest,
): Promise<{ added: boolean; text: string }> {
  const { store, engine, settings } = deps
  const { conference: c, sharedCount, choice } = req
  const t = watchStrings(req.locale)
  const name = meetingName(c.title, c.roomCode, req.locale)
  const when = (ms: number) => formatTime(ms, req.locale, req.timeZone)
  const no = (text: string) => ({ added: false, text })
  if (c.status === 1) return no(t.alreadyEnded(name))
  if (c.status === 0 && c.startTime !== undefined && c.startTime - req.now > MAX_AHEAD_MS)
    return no(t.tooFar(name, when(c.startTime)))
  const chat = req.conversationId
  const all = await store.all()
  if (all.some((w) => w.conferenceId === c.conferenceId && w.conversationId === chat))
    return no(t.already(name))
  const mine = all.filter((w) => w.conversationId === chat).length
  if (mine >= settings.maxPerChat) return no(t.chatCap(mine))
  if (all.length >= settings.maxTotal) return no(t.totalCap(all.length))
  const watch: Watch = {
    conferenceId: c.conferenceId,
    roomCode: c.roomCode,
    title: c.title,
    chat: req.chat,
    conversationId: chat,
    by: req.by,
    locale: req.locale,
    timeZone: req.timeZone,
    createdAt: req.now,
    instance: { of: sharedCount, choice },
    skipStarted: c.status === 2,
    snapshot: c,
  }
  const track = await store.ensureTrack(c)
  await store.put(watch)
  // Just looked up: the first poll waits one interval.
  const interval = pollInterval(track, req.now, settings.pollMs)
  await store.store.setIfAbsent(keys.pollLease(c.conferenceId), engine.owner, interval)
  req.log.info({ conferenceId: c.conferenceId, status: c.status }, 'watch added')
  const lines =
    c.status === 2
      ? [t.watchingLive(name, when(track.startedAt ?? c.startTime ?? req.now))]
      : [t.watching(name, when(c.startTime ?? req.now)), t.watchingPromise]
  const expires = expiryOf(track, watch)
  if (c.status === 0 && expires !== undefined) lines.push(t.expiresNote(when(expires)))
  if (sharedCount > 1 && choice !== 'byId')
    lines.push('', `> ${t.instance(sharedCount, t.choice[choice] ?? choice)}`)
  return { added: true, text: lines.join('\n') }
}

/** A trailing `all` (全部): an admin removes every chat's watches of the meeting. */
const ALL = /\s+(all|全部)$/i

/** `unwatch <code>`: this chat's watch; admins may remove other chats' too. */
export function unwatchCommand(deps: CommandDeps): Command {
  const { meetings, store } = deps
  return {
    name: 'unwatch',
    aliases: ['取消关注'],
    summary: { en: 'stop watching a meeting in this chat', 'zh-CN': '取消这个聊天对会议的关注' },
    usage: {
      en: 'unwatch <room code | conference id | join link>',
      'zh-CN': '取消关注 <会议号 | 会议 ID | 入会链接>',
    },
    async run(ctx) {
      const t = watchStrings(ctx.locale)
      const everyone = ALL.test(ctx.args)
      const ref = meetings.parse(ctx.args.replace(ALL, ''))
      if (!ref) return textReply(t.unwatchUsage, ctx.mention)
      const code = ref.kind === 'roomCode' ? formatRoomCode(ref.code) : ref.id
      const chat = ctx.msg.conversation.id
      const matches = (await store.all()).filter((w) =>
        ref.kind === 'roomCode' ? w.roomCode === ref.code : w.conferenceId === ref.id,
      )
      const mine = matches.filter((w) => w.conversationId === chat)
      const others = matches.filter((w) => w.conversationId !== chat)
      const first = matches[0]
      const name = first ? meetingName(first.title, first.roomCode, ctx.locale) : code
      if (matches.length === 0) return reply(ctx, t.notWatched(code))
      if (mine.length === 0 && !ctx.isAdmin) return reply(ctx, t.notYours(code))
      for (const w of mine) await store.remove(w)
      const lines = mine.length > 0 ? [t.unwatched(name)] : []
      if (ctx.isAdmin && others.length > 0 && (everyone || mine.length === 0)) {
        for (const w of others) await store.remove(w)
        ctx.log.info(
          {
            admin: ctx.msg.sender.staffId,
            removed: others.length,
            conferenceId: first?.conferenceId,
            audit: true,
          },
          'watch: an admin removed other chats’ watches',
        )
        lines.push(t.unwatchedElsewhere(others.length, name))
      }
      return reply(ctx, lines.join('\n'))
    },
  }
}

/** `watches`: this chat's watches and what each costs. */
export function watchesCommand(deps: CommandDeps): Command {
  const { store, engine, settings } = deps
  return {
    name: 'watches',
    aliases: ['关注列表'],
    summary: { en: "this chat's watches and what they cost", 'zh-CN': '这个聊天关注的会议及其接口用量' },
    usage: { en: 'watches', 'zh-CN': '关注列表' },
    async run(ctx) {
      const chat = ctx.msg.conversation.id
      const all = await store.all()
      const items: ListedWatch[] = []
      for (const w of all.filter((x) => x.conversationId === chat)) {
        const track = await store.track(w.conferenceId)
        items.push({
          watch: w,
          track,
          expiresAt: track ? expiryOf(track, w) : undefined,
          perHour: track ? callsPerHour(track, ctx.now, settings.pollMs) : 0,
          sharedWith: all.filter((x) => x.conferenceId === w.conferenceId && x.conversationId !== chat)
            .length,
        })
      }
      const spent = await store.spentThisMonth()
      const budget = {
        spent,
        budget: engine.budget,
        quota: settings.monthlyQuota,
        paused: spent >= engine.budget,
      }
      return reply(ctx, watchesList(items, settings.maxPerChat, budget, ctx))
    },
  }
}
