import type { CommandContext } from '../../core/commands.js'
import type { Feature } from '../../core/feature.js'
import type { Locale, Localized } from '../../core/locale.js'
import type { SelfDelivered } from '../../core/message.js'
import type { Logger } from '../../logger.js'
import type { Store } from '../../store/store.js'
import { liveCardActions } from './actions.js'
import { LiveCardEngine, type LiveCardSettings } from './engine.js'
import type { CardApi, MeetingFeed, MeetingLookups, WatchToggle } from './model.js'
import { presentLiveCard, type Shown } from './present.js'
import { LIVE_CARD_KEYSPACES, LiveCardStore } from './store.js'
import { liveCardStrings } from './strings.js'

export type { LiveCardSettings } from './engine.js'
export type { CardApi, LiveState, MeetingFeed, MeetingLookups, WatchToggle } from './model.js'

export interface LiveCardDeps {
  readonly store: Store
  readonly feed: MeetingFeed
  readonly lookups: MeetingLookups
  readonly watches: WatchToggle
  readonly cards: CardApi
  readonly settings: LiveCardSettings
  /** Where a watch made from a card sends its notices (the notice port's address of a message). */
  readonly address: (msg: CommandContext['msg']) => unknown
  readonly clock: () => number
  readonly log: Logger
}

export interface LiveCardFeature extends Feature {
  readonly engine: LiveCardEngine
  /** For `/status`: live and frozen cards, the card calls this month. */
  statusLine(): Promise<{ label: Localized; text: Localized }>
  /** The meeting answer as a live card; undefined: answer with markdown instead. */
  present(shown: Shown, ctx: CommandContext): Promise<SelfDelivered | undefined>
}

/**
 * Live meeting cards (docs/live-cards.md): with `DINGTALK_CARD_TEMPLATE_ID` the meeting answer is
 * an interactive card that updates itself while the meeting runs (from the watch feature's
 * tracking: events and polls) and freezes with the summary when it ends; its buttons are
 * Refresh, Members, Watch / Unwatch and Join (a link).
 */
export function liveCardFeature(deps: LiveCardDeps): LiveCardFeature {
  const store = new LiveCardStore(deps.store, deps.clock)
  const log = deps.log.child({ component: 'livecard' })
  const engine = new LiveCardEngine({
    store,
    feed: deps.feed,
    cards: deps.cards,
    watches: deps.watches,
    settings: deps.settings,
    clock: deps.clock,
    log,
  })
  const presentDeps = { ...deps, store, engine }
  return {
    name: 'livecard',
    engine,
    keyspaces: LIVE_CARD_KEYSPACES,
    cardActions: liveCardActions({ ...deps, store, engine }),
    present: (shown, ctx) => presentLiveCard(presentDeps, shown, ctx),
    async statusLine() {
      const cards = await store.all()
      const live = cards.filter((c) => !c.frozen).length
      const spent = await store.spentThisMonth()
      const text = (l: Locale) =>
        liveCardStrings(l).statusLine(live, cards.length - live, spent, engine.budget)
      return {
        label: { en: liveCardStrings('en').statusLabel, 'zh-CN': liveCardStrings('zh-CN').statusLabel },
        text: { en: text('en'), 'zh-CN': text('zh-CN') },
      }
    },
  }
}
