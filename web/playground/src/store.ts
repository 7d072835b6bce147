import type {
  FeedCard,
  FeedEvent,
  FeedItem,
  FeedLogLine,
  FeedState,
  FeedUser,
} from '../../../src/emulator/feed-types.js'

export type { FeedCard, FeedEvent, FeedLogLine, FeedState, FeedUser }

type Of<T extends FeedItem['type']> = Extract<FeedItem, { type: T }>

/** One thing shown in a chat, in the order the feed said it. */
export type Entry =
  | (Of<'message'> & { readonly seq: number; readonly redelivered: number })
  | (Of<'reply'> & { readonly seq: number })
  | {
      readonly type: 'card'
      readonly seq: number
      readonly outTrackId: string
      readonly conversationId: string
    }
  | (Of<'problem'> & { readonly seq: number })

export interface Store {
  readonly connection: 'connecting' | 'open' | 'closed'
  readonly state: FeedState | undefined
  readonly entries: readonly Entry[]
  /** The newest version of each card, by outTrackId. */
  readonly cards: Readonly<Record<string, FeedCard>>
  /** The bot's lines, newest last. */
  readonly log: readonly FeedLogLine[]
  readonly lastSeq: number
}

export const EMPTY: Store = {
  connection: 'connecting',
  state: undefined,
  entries: [],
  cards: {},
  log: [],
  lastSeq: 0,
}

const MAX_LOG = 300

/** The store after one event of the feed (pure). */
export function reduce(s: Store, e: FeedEvent): Store {
  if (e.type === 'state') {
    // A state older than what was seen: the bot (and its emulator) restarted; start over.
    const fresh = e.seq < s.lastSeq ? { ...EMPTY, connection: s.connection } : s
    return { ...fresh, state: e.state, lastSeq: Math.max(fresh.lastSeq, e.seq) }
  }
  if (e.seq <= s.lastSeq) return s
  const next = { ...s, lastSeq: e.seq }
  switch (e.type) {
    case 'message':
      return { ...next, entries: [...s.entries, { ...e, redelivered: 0 }] }
    case 'reply':
    case 'problem':
      return { ...next, entries: [...s.entries, e] }
    case 'card': {
      const { card } = e
      const known = s.cards[card.outTrackId]
      if (known && known.version >= card.version) return next
      const entries = known
        ? s.entries
        : [
            ...s.entries,
            {
              type: 'card' as const,
              seq: e.seq,
              outTrackId: card.outTrackId,
              conversationId: card.conversationId,
            },
          ]
      return { ...next, entries, cards: { ...s.cards, [card.outTrackId]: card } }
    }
    case 'log':
      return { ...next, log: [...s.log, e.line].slice(-MAX_LOG) }
    case 'redelivered':
      return {
        ...next,
        entries: s.entries.map((x) =>
          x.type === 'message' && x.msgId === e.msgId ? { ...x, redelivered: x.redelivered + 1 } : x,
        ),
      }
    default:
      return next
  }
}

/** The one-to-one chat of this user with the bot: the conversation of what they sent there. */
export function singleChatOf(entries: readonly Entry[], user: FeedUser): string | undefined {
  for (const x of entries)
    if (
      x.type === 'message' &&
      x.chat === 'single' &&
      x.user.staffId === user.staffId &&
      x.user.corpId === user.corpId
    )
      return x.conversationId
  return undefined
}
