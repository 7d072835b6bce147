import type { VNode } from 'preact'
import { call } from './api.js'
import type { Strings } from './i18n.js'
import type { FeedLogLine } from './store.js'

function upstream(calls: Readonly<Record<string, number>>): string {
  return Object.entries(calls)
    .map(([api, n]) => (n > 1 ? `${api} ×${n}` : api))
    .join(', ')
}

function what(l: FeedLogLine): string {
  if (l.kind === 'message') return l.command ?? l.msg
  if (l.kind === 'card action') return `🃏 ${l.action ?? ''}`
  if (l.kind === 'event') return `⚡ ${l.eventType ?? ''}`
  return `⚠ ${l.msg}`
}

/** A labelled value of a log line, left out when there is none. */
function Field(props: { label: string; value: string | number | undefined; mono?: boolean }): VNode | null {
  if (props.value === undefined || props.value === '') return null
  return (
    <span>
      <span class="log-label">{props.label} </span>
      <span class={props.mono ? 'mono' : ''}>{props.value}</span>
    </span>
  )
}

/**
 * The bot's log, one entry per message it handled (and its card clicks, events and warnings),
 * newest first: what it was, the outcome, the duration, the msgId, the delivery path, the
 * reference id, and the DingTalk calls the emulator answered meanwhile. A message the playground
 * sent can be delivered again from here.
 */
export function LogPane(props: {
  log: readonly FeedLogLine[]
  sent: ReadonlySet<string>
  t: Strings
}): VNode {
  const { t } = props
  const rows = [...props.log].reverse()
  return (
    <section class="panel log" aria-labelledby="log-title">
      <h3 id="log-title">{t.logCaption}</h3>
      {rows.length === 0 ? <p class="hint">{t.logEmpty}</p> : null}
      <ol class="log-lines">
        {rows.map((l, i) => {
          const bad = l.outcome === 'failed' || l.result === 'error'
          const calls = upstream(l.upstream)
          return (
            <li
              key={`${l.time}-${rows.length - i}`}
              class={`log-line log-${l.kind.replace(' ', '-')}${bad ? ' is-bad' : ''}`}
            >
              <div>
                <span class="log-what">{what(l)}</span>
                {l.outcome ? <span class="log-outcome">{l.outcome}</span> : null}
                <Field label={t.cols.ms} value={l.durationMs} />
                <Field label={t.cols.path} value={l.path} />
                <Field label={t.transport} value={l.transport} />
                <span class="log-label">
                  {new Date(l.time).toLocaleTimeString(t.lang, { hourCycle: 'h23' })}
                </span>
              </div>
              <div>
                <Field label={t.cols.msgId} value={l.msgId} mono />
                <Field label={t.cols.ref} value={l.ref} mono />
                {l.msgId && l.kind === 'message' && props.sent.has(l.msgId) ? (
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => call('chat/redeliver', { msgId: l.msgId }).catch(() => undefined)}
                  >
                    {t.redeliver}
                  </button>
                ) : null}
              </div>
              {l.durationMs !== undefined ? (
                <div>
                  <Field label={t.cols.upstream} value={calls || t.none} mono />
                </div>
              ) : null}
            </li>
          )
        })}
      </ol>
    </section>
  )
}
