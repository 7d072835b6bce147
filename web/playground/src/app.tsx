import type { VNode } from 'preact'
import { useEffect, useReducer, useState } from 'preact/hooks'
import { follow } from './api.js'
import { type ChatKind, ChatPane, type Sender } from './chat.js'
import { Faults, Timeline } from './controls.js'
import type { Strings } from './i18n.js'
import { LogPane } from './log.js'
import {
  EMPTY,
  type FeedEvent,
  type FeedState,
  type FeedUser,
  reduce,
  type Store,
  singleChatOf,
} from './store.js'

type Action = { kind: 'event'; event: FeedEvent } | { kind: 'connection'; c: Store['connection'] }

function reducer(s: Store, a: Action): Store {
  return a.kind === 'event' ? reduce(s, a.event) : { ...s, connection: a.c }
}

/** Who the page speaks as: a role, or a staff id of BOT_ADMINS, or any staff id. */
interface Who {
  readonly role: string
  readonly other: string
  readonly corpId: string
  readonly via: 'http' | 'stream'
}

function userOf(state: FeedState, who: Who): FeedUser {
  const org = who.corpId && state.orgs.length > 1 ? { corpId: who.corpId } : {}
  const [member, admin] = state.users
  if (who.role === 'member' && member) return { ...member, ...org }
  if (who.role === 'admin' && admin) return { ...admin, ...org }
  const id = who.role.startsWith('botAdmin:')
    ? who.role.slice('botAdmin:'.length)
    : who.other.trim() || 'staff0042'
  return { staffId: id, nick: id, isAdmin: false, ...org }
}

function SenderBar(props: { state: FeedState; who: Who; set: (w: Who) => void; t: Strings }): VNode {
  const { state, who, set, t } = props
  return (
    <div class="sender">
      <label class="field">
        <span>{t.sendAs}</span>
        <select
          value={who.role}
          onChange={(e) => set({ ...who, role: (e.target as HTMLSelectElement).value })}
        >
          <option value="member">
            {t.roles.member}: {state.users[0]?.nick}
          </option>
          <option value="admin">
            {t.roles.admin}: {state.users[1]?.nick}
          </option>
          {state.botAdmins.map((id) => (
            <option key={id} value={`botAdmin:${id}`}>
              {t.roles.botAdmin}: {id}
            </option>
          ))}
          <option value="other">{t.roles.other}</option>
        </select>
      </label>
      {who.role === 'other' ? (
        <label class="field">
          <span>{t.staffId}</span>
          <input
            value={who.other}
            onInput={(e) => set({ ...who, other: (e.target as HTMLInputElement).value })}
          />
        </label>
      ) : null}
      {state.orgs.length > 1 ? (
        <label class="field">
          <span>{t.org}</span>
          <select
            value={who.corpId}
            onChange={(e) => set({ ...who, corpId: (e.target as HTMLSelectElement).value })}
          >
            {state.orgs.map((o) => (
              <option key={o.corpId} value={o.corpId}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <fieldset class="field radios">
        <legend>{t.transport}</legend>
        {(['http', 'stream'] as const).map((via) => (
          <label key={via} class="check">
            <input
              type="radio"
              name="via"
              value={via}
              checked={who.via === via}
              disabled={!state.transports.includes(via)}
              onChange={() => set({ ...who, via })}
            />
            {t.via[via]}
          </label>
        ))}
      </fieldset>
      {state.botAdmins.length === 0 && who.role === 'other' ? <p class="hint">{t.noBotAdmins}</p> : null}
    </div>
  )
}

/** Tabs the WAI-ARIA way: arrow keys move between them, Tab goes into the panel. */
function Tabs(props: { tab: string; set: (t: string) => void; t: Strings }): VNode {
  const ids = ['controls', 'log'] as const
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return
    const next = ids[(ids.indexOf(props.tab as (typeof ids)[number]) + 1) % ids.length] as string
    props.set(next)
    document.getElementById(`tab-${next}`)?.focus()
  }
  return (
    <div class="tabs" role="tablist" aria-label={props.t.appTitle} onKeyDown={onKeyDown}>
      {ids.map((id) => (
        <button
          key={id}
          id={`tab-${id}`}
          type="button"
          role="tab"
          aria-selected={props.tab === id}
          aria-controls={`panel-${id}`}
          tabIndex={props.tab === id ? 0 : -1}
          onClick={() => props.set(id)}
        >
          {props.t.tabs[id]}
        </button>
      ))}
    </div>
  )
}

export function App(props: { t: Strings }): VNode {
  const { t } = props
  const [store, dispatch] = useReducer(reducer, EMPTY)
  const [chat, setChat] = useState<ChatKind>('group')
  const [tab, setTab] = useState('controls')
  const [who, setWho] = useState<Who>({ role: 'member', other: 'staff0042', corpId: '', via: 'http' })
  useEffect(
    () =>
      follow(
        (event) => dispatch({ kind: 'event', event }),
        (c) => dispatch({ kind: 'connection', c }),
      ),
    [],
  )
  const state = store.state
  useEffect(() => {
    if (state && !who.corpId && state.orgs[0]) setWho({ ...who, corpId: state.orgs[0].corpId })
  }, [state?.orgs.length])
  if (!state)
    return (
      <p class="loading" role="status">
        {t.connection.connecting}
      </p>
    )
  const sender: Sender = { user: userOf(state, who), via: who.via }
  const conversationId = chat === 'group' ? state.group.id : singleChatOf(store.entries, sender.user)
  const sent = new Set(store.entries.flatMap((e) => (e.type === 'message' && e.delivered ? [e.msgId] : [])))
  const chats: Array<{ id: ChatKind; name: string; sub: string }> = [
    { id: 'group', name: state.group.title, sub: t.groupKind },
    { id: 'single', name: t.botName, sub: `${t.singleKind} · ${sender.user.nick}` },
  ]
  const current = chats.find((c) => c.id === chat) ?? chats[0]
  return (
    <div class="app">
      <header class="topbar">
        <span class="logo" aria-hidden="true">
          钉
        </span>
        <h1>{t.appTitle}</h1>
        <span class="topbar-sub">{t.appSubtitle}</span>
        <span class={`conn conn-${store.connection}`} role="status">
          {t.connection[store.connection]}
        </span>
      </header>
      <div class="body">
        <nav class="chats" aria-label={t.chats}>
          <h2 class="sr-only">{t.chats}</h2>
          <ul>
            {chats.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  class={`chat-item${c.id === chat ? ' is-current' : ''}`}
                  aria-current={c.id === chat ? 'true' : undefined}
                  onClick={() => setChat(c.id)}
                >
                  <span
                    class={`avatar ${c.id === 'group' ? 'avatar-group' : 'avatar-bot'}`}
                    aria-hidden="true"
                  >
                    {c.id === 'group' ? '群' : 'MB'}
                  </span>
                  <span class="chat-item-text">
                    <span class="chat-item-name">{c.name}</span>
                    <span class="chat-item-sub">{c.sub}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <ChatPane
          store={store}
          chat={chat}
          conversationId={conversationId}
          title={current?.name ?? ''}
          subtitle={current?.sub ?? ''}
          sender={sender}
          t={t}
          senderBar={<SenderBar state={state} who={who} set={setWho} t={t} />}
        />
        <aside class="side" aria-label={t.tabs.controls}>
          <Tabs tab={tab} set={setTab} t={t} />
          <div id="panel-controls" role="tabpanel" aria-labelledby="tab-controls" hidden={tab !== 'controls'}>
            <Timeline state={state} t={t} />
            <Faults state={state} t={t} />
          </div>
          <div id="panel-log" role="tabpanel" aria-labelledby="tab-log" hidden={tab !== 'log'}>
            <LogPane log={store.log} sent={sent} t={t} />
          </div>
        </aside>
      </div>
    </div>
  )
}
