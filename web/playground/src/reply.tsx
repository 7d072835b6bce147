import type { ComponentChildren, VNode } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { buttonLabel } from '../../../src/chat/card-render.js'
import { ApiError, call } from './api.js'
import type { Strings } from './i18n.js'
import { Markdown, safeHref } from './markdown.js'
import type { FeedCard } from './store.js'

type Decorate = (text: string) => ComponentChildren

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** A link button of an action card: opens only an http(s) URL. */
function LinkButton(props: { title: string; url: string }): VNode {
  const href = safeHref(props.url)
  return href ? (
    <a class="btn btn-link" href={href} target="_blank" rel="noopener noreferrer">
      {props.title}
    </a>
  ) : (
    <span class="btn btn-link is-off" title={props.url}>
      {props.title}
    </span>
  )
}

function ActionCard(props: { card: Record<string, unknown>; decorate: Decorate }): VNode {
  const c = props.card
  const btns = Array.isArray(c.btns) ? c.btns.map(obj) : []
  return (
    <div class="action-card">
      <Markdown text={str(c.text)} decorate={props.decorate} />
      <div class={`card-buttons ${c.btnOrientation === '1' ? 'row' : 'column'}`}>
        {c.singleTitle ? <LinkButton title={str(c.singleTitle)} url={str(c.singleURL)} /> : null}
        {btns.map((b, i) => (
          <LinkButton key={i} title={str(b.title)} url={str(b.actionURL)} />
        ))}
      </div>
    </div>
  )
}

/**
 * A reply as DingTalk shows it: text, markdown, an action card; the robot OpenAPI's msgKey +
 * msgParam the same way. Anything else is shown as its JSON, as text.
 */
export function ReplyBody(props: { body: unknown; decorate: Decorate }): VNode {
  const r = obj(props.body)
  const { decorate } = props
  const part = (k: string) => obj(r[k])
  switch (r.msgtype) {
    case 'text':
      return <p class="text">{decorate(str(part('text').content))}</p>
    case 'markdown':
      return <Markdown text={str(part('markdown').text)} decorate={decorate} />
    case 'actionCard':
      return <ActionCard card={part('actionCard')} decorate={decorate} />
    default:
      break
  }
  const p = obj(r.msgParam)
  if (r.msgKey === 'sampleText') return <p class="text">{decorate(str(p.content))}</p>
  if (r.msgKey === 'sampleMarkdown') return <Markdown text={str(p.text)} decorate={decorate} />
  if (typeof r.msgKey === 'string' && r.msgKey.startsWith('sampleActionCard'))
    return <ActionCard card={p} decorate={decorate} />
  return <pre class="json">{JSON.stringify(props.body, null, 2)}</pre>
}

/**
 * An interactive card (the live meeting card): its title, body, members, note and buttons, kept
 * current in place as the feed brings newer versions. The buttons press through the emulator,
 * as the user who is sending now.
 */
export function LiveCard(props: { card: FeedCard; userId: string; t: Strings; decorate: Decorate }): VNode {
  const { card, t } = props
  const d = card.data
  const [busy, setBusy] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [flash, setFlash] = useState(false)
  // A version newer than the one first shown: the card changed while on screen, so it flashes.
  const shown = useRef(card.version)
  useEffect(() => {
    if (card.version <= shown.current) return
    shown.current = card.version
    setFlash(true)
    const timer = setTimeout(() => setFlash(false), 1200)
    return () => clearTimeout(timer)
  }, [card.version])
  const press = async (action: string) => {
    setBusy(action)
    setError(undefined)
    try {
      await call(`cards/${encodeURIComponent(card.outTrackId)}/press`, { action, userId: props.userId })
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err))
    } finally {
      setBusy(undefined)
    }
  }
  const watch = d.watchAction || 'watch'
  const join = d.showJoin === 'true' ? safeHref(d.joinUrl ?? '') : undefined
  const live = d.live !== 'false'
  return (
    <article
      class={`live-card${flash ? ' flash' : ''}`}
      aria-label={`${t.card}: ${d.title || card.outTrackId}`}
      data-out-track-id={card.outTrackId}
      data-version={card.version}
    >
      <header class="live-card-head">
        <span class="live-card-title">{d.title || card.outTrackId}</span>
        <span class={`badge ${live ? 'badge-live' : ''}`}>{live ? t.live : t.frozen}</span>
      </header>
      {d.body ? <Markdown text={d.body} decorate={props.decorate} /> : null}
      {d.members ? (
        <div class="live-card-members">
          <Markdown text={d.members} decorate={props.decorate} />
        </div>
      ) : null}
      {d.note ? <p class="note">{d.note}</p> : null}
      <div class="card-buttons row">
        {['refresh', 'members', watch].map((action) => (
          <button
            key={action}
            type="button"
            class="btn"
            disabled={busy !== undefined}
            aria-busy={busy === action}
            onClick={() => press(action)}
          >
            {busy === action ? t.pressing : buttonLabel(d, action)}
          </button>
        ))}
      </div>
      {join ? (
        <a class="btn btn-primary btn-block" href={join} target="_blank" rel="noopener noreferrer">
          {d.joinLabel || t.join}
        </a>
      ) : null}
      {error ? (
        <p class="inline-error" role="alert">
          {error}
        </p>
      ) : null}
    </article>
  )
}
