import type { Feature } from '../../core/feature.js'
import type { Localized } from '../../core/locale.js'
import type { ConferenceClient } from '../../dingtalk/conference.js'
import type { Logger } from '../../logger.js'
import type { Store } from '../../store/store.js'
import { type Meetings, unwatchCommand, watchCommand, watchesCommand } from './commands.js'
import { WatchEngine, type WatchSettings } from './engine.js'
import { watchEventHandlers } from './events.js'
import { type MeetingTracking, meetingTracking, type WatchToggle, watchToggle } from './feed.js'
import { WATCH_KEYSPACES } from './keyspaces.js'
import type { NoticePort } from './notify.js'
import { WatchStore } from './store.js'
import { watchStrings } from './strings.js'

export type { MeetingRef, Meetings } from './commands.js'
export { DEFAULT_WATCH_SETTINGS, type WatchSettings } from './engine.js'
export type { MeetingTracking, TrackedState, WatchToggle } from './feed.js'
export type { NoticePort } from './notify.js'

export interface WatchDeps {
  readonly store: Store
  readonly conferences: Pick<ConferenceClient, 'getConference' | 'listMembers'>
  readonly meetings: Meetings
  readonly notices: NoticePort
  readonly settings: WatchSettings
  readonly clock: () => number
  readonly log: Logger
  /** See `EngineDeps.retryBaseMs`. */
  readonly retryBaseMs?: number
}

/** One line of `/status`, in every language (the admin feature shows it as it is). */
export interface StatusLine {
  readonly label: Localized
  readonly text: Localized
}

export interface WatchFeature extends Feature {
  /** The poller and notice sender: started and stopped with the app. */
  readonly engine: WatchEngine
  /** For `/status`: how many watches, and the calls they spent this month. */
  watchStatus(): Promise<StatusLine>
  /** Following a meeting without a watch (live cards): its news from events and polls. */
  readonly tracking: MeetingTracking
  /** A chat's watch, as a card button toggles it. */
  readonly toggle: WatchToggle
}

/**
 * `watch <code>` (关注), `unwatch <code>` (取消关注), `watches` (关注列表): a chat hears when a
 * meeting starts (with its Join button) and gets a summary when it ends. News comes from
 * meeting events first and from polling where they do not come (docs/watch.md).
 */
export function watchFeature(deps: WatchDeps): WatchFeature {
  const store = new WatchStore(deps.store, deps.clock)
  const engine = new WatchEngine({
    store,
    conferences: deps.conferences,
    notices: deps.notices,
    settings: deps.settings,
    clock: deps.clock,
    log: deps.log.child({ component: 'watch' }),
    ...(deps.retryBaseMs !== undefined ? { retryBaseMs: deps.retryBaseMs } : {}),
  })
  const commandDeps = {
    meetings: deps.meetings,
    store,
    engine,
    notices: deps.notices,
    settings: deps.settings,
  }
  return {
    name: 'watch',
    engine,
    tracking: meetingTracking(store),
    toggle: watchToggle(commandDeps),
    commands: [watchCommand(commandDeps), unwatchCommand(commandDeps), watchesCommand(commandDeps)],
    keyspaces: WATCH_KEYSPACES,
    events: watchEventHandlers(store, engine),
    async watchStatus() {
      const s = await engine.status()
      const [en, zh] = [watchStrings('en'), watchStrings('zh-CN')]
      return {
        label: { en: en.statusLabel, 'zh-CN': zh.statusLabel },
        text: {
          en: en.statusText(s.watches, s.chats, s.spent, s.budget, s.paused),
          'zh-CN': zh.statusText(s.watches, s.chats, s.spent, s.budget, s.paused),
        },
      }
    },
  }
}
