import type { ComponentChildren, VNode } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError, call } from './api.js'
import type { Strings } from './i18n.js'
import { LiveCard, ReplyBody } from './reply.js'
import type { Entry, FeedUser, Store } from './store.js'

export type ChatKind = 'group' | 'single'

export interface Sender {
  readonly user: FeedUser
  readonly via: 'http' | 'stream'
}

function time(at: number, lang: string): string {
  return new Date(at).toLocaleTimeString(lang, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
}

function initials(nick: string): string {
  const words = nick.trim().split(/\s+/)
  const first = words[0] ?? '?'
  return /^[A-Za-z0-9]/.test(first)
    ? words
        .map((w) => w[0])
        .join('')
        .slice(0, 2)
        .toUpperCase()
    : [...nick].slice(-2).join('')
}

/** DingTalk shows an `@staffId` of a reply as the person's name, highlighted. */
export function mentions(nicks: ReadonlyMap<string, string>): (text: string) => ComponentChildren {
  return (text) => {
    const parts = text.split(/(@[A-Za-z0-9_.$:=-]+)/)
    return parts.map((p, i) => {
      const nick = p.startsWith('@') ? nicks.get(p.slice(1)) : undefined
      return nick ? (
        <span key={i} class="mention">
          @{nick}
        </span>
      ) : (
        p
      )
    })
  }
}

function Avatar(props: { nick: string; bot?: boolean }): VNode {
  return (
    <span class={`avatar${props.bot ? ' avatar-bot' : ''}`} aria-hidden="true">
      {props.bot ? 'MB' : initials(props.nick)}
    </span>
  )
}

interface EntryProps {
  readonly entry: Entry
  readonly store: Store
  readonly sender: Sender
  readonly t: Strings
  readonly decorate: (text: string) => ComponentChildren
}

function EntryView({ entry, store, sender, t, decorate }: EntryProps): VNode | null {
  const at = (ms: number) => <time dateTime={new Date(ms).toISOString()}>{time(ms, t.lang)}</time>
  switch (entry.type) {
    case 'message': {
      const mine = entry.user.staffId === sender.user.staffId && entry.user.corpId === sender.user.corpId
      const redeliver = () => call('chat/redeliver', { msgId: entry.msgId }).catch(() => undefined)
      return (
        <li class={`msg ${mine ? 'msg-mine' : 'msg-theirs'}`} data-msg-id={entry.msgId}>
          <Avatar nick={entry.user.nick} />
          <div class="msg-main">
            <span class="msg-who">
              {entry.user.nick}
              {entry.user.isAdmin ? ` · ${t.roles.admin}` : ''}
            </span>
            <div class="bubble bubble-user">
              {entry.mention ? <span class="mention">@{t.botName} </span> : null}
              <span class="text">{entry.text}</span>
            </div>
            <span class="msg-meta">
              {t.via[entry.via]} · {at(entry.at)}
              {entry.delivered ? (
                <button type="button" class="link-button" onClick={redeliver}>
                  {t.redeliver}
                </button>
              ) : null}
            </span>
            {entry.redelivered > 0 ? <span class="msg-meta">{t.redelivered(t.via[entry.via])}</span> : null}
            {entry.delivered ? null : <span class="msg-meta warn">{t.notDelivered}</span>}
          </div>
        </li>
      )
    }
    case 'reply':
      return (
        <li class="msg msg-theirs msg-bot" data-reply-via={entry.via}>
          <Avatar nick={t.botName} bot />
          <div class="msg-main">
            <span class="msg-who">
              {t.botName}
              {entry.msgId ? null : <span class="badge badge-notice">🔔 {t.notice}</span>}
            </span>
            <div class="bubble bubble-bot">
              <ReplyBody body={entry.body} decorate={decorate} />
            </div>
            <span class="msg-meta">
              {t.how[entry.via] ?? entry.via} · {at(entry.at)}
            </span>
          </div>
        </li>
      )
    case 'card': {
      const card = store.cards[entry.outTrackId]
      if (!card) return null
      return (
        <li class="msg msg-theirs msg-bot">
          <Avatar nick={t.botName} bot />
          <div class="msg-main">
            <span class="msg-who">{t.botName}</span>
            <LiveCard card={card} userId={sender.user.staffId} t={t} decorate={decorate} />
            <span class="msg-meta">
              {t.card} · {at(card.createdAt)}
            </span>
          </div>
        </li>
      )
    }
    case 'problem':
      return (
        <li class="msg-system" role="status">
          {t.problem}: {entry.message}
        </li>
      )
    default:
      return null
  }
}

interface ChatProps {
  readonly store: Store
  readonly chat: ChatKind
  readonly conversationId: string | undefined
  readonly title: string
  readonly subtitle: string
  readonly sender: Sender
  readonly t: Strings
  readonly senderBar: VNode
}

/** The chat window: its header, what was said (replies and live cards in place), the composer. */
export function ChatPane(props: ChatProps): VNode {
  const { store, chat, conversationId, sender, t } = props
  const [text, setText] = useState('')
  const [mention, setMention] = useState(true)
  const [error, setError] = useState<string | undefined>(undefined)
  const list = useRef<HTMLDivElement>(null)
  const entries = store.entries.filter(
    (e) => conversationId !== undefined && e.conversationId === conversationId,
  )
  const nicks = new Map<string, string>()
  for (const e of store.entries) if (e.type === 'message') nicks.set(e.user.staffId, e.user.nick)
  const decorate = mentions(nicks)
  useLayoutEffect(() => {
    const el = list.current
    if (el) el.scrollTop = el.scrollHeight
  }, [entries.length, store.lastSeq])
  useEffect(() => setError(undefined), [chat])

  const send = async () => {
    const message = text.trim()
    if (!message) return
    setError(undefined)
    setText('')
    try {
      await call('chat/send', { text: message, chat, via: sender.via, user: sender.user, mention })
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err))
    }
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      void send()
    }
  }
  return (
    <main class="chat" aria-labelledby="chat-title">
      <header class="chat-head">
        <h2 id="chat-title">{props.title}</h2>
        <span class="chat-sub">{props.subtitle}</span>
      </header>
      <div class="messages" ref={list} role="log" aria-live="polite" aria-labelledby="chat-title">
        <ol>
          {entries.length === 0 ? <li class="msg-system">{t.emptyChat}</li> : null}
          {entries.map((entry) => (
            <EntryView
              key={entry.seq}
              entry={entry}
              store={store}
              sender={sender}
              t={t}
              decorate={decorate}
            />
          ))}
        </ol>
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault()
          void send()
        }}
      >
        {props.senderBar}
        <label for="composer-text" class="sr-only">
          {t.message}
        </label>
        <textarea
          id="composer-text"
          rows={2}
          value={text}
          placeholder={t.placeholder}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
        <div class="composer-foot">
          {chat === 'group' ? (
            <label class="check">
              <input
                type="checkbox"
                checked={mention}
                onChange={(e) => setMention((e.target as HTMLInputElement).checked)}
              />
              {t.mentionBot}
            </label>
          ) : (
            <span />
          )}
          {error ? (
            <span class="inline-error" role="alert">
              {error}
            </span>
          ) : null}
          <button type="submit" class="btn btn-primary" disabled={!text.trim()}>
            {t.send}
          </button>
        </div>
      </form>
    </main>
  )
}
