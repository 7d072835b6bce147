import type { VNode } from 'preact'
import { useState } from 'preact/hooks'
import { ApiError, call } from './api.js'
import type { Strings } from './i18n.js'
import type { FeedState } from './store.js'

/** Runs a control call and says how it went (the emulator's own words when it refuses). */
function useAction(t: Strings): [(path: string, body?: unknown, method?: 'POST' | 'DELETE') => void, VNode] {
  const [said, setSaid] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const run = (path: string, body: unknown = {}, method: 'POST' | 'DELETE' = 'POST') => {
    setSaid(undefined)
    call(path, body, method).then(
      () => setSaid({ ok: true, text: t.done }),
      (err: unknown) => setSaid({ ok: false, text: err instanceof ApiError ? err.message : String(err) }),
    )
  }
  const line = (
    <p class={`action-status${said && !said.ok ? ' is-error' : ''}`} role="status">
      {said?.text ?? ''}
    </p>
  )
  return [run, line]
}

const MIN = 60_000

function span(ms: number): string {
  const m = Math.round(ms / MIN)
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60 ? `${m % 60} min` : ''}`.trim() : `${m} min`
}

function spaced(code: string): string {
  return code.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

/** Start, end, join, leave, let time pass, meeting events on or off. */
export function Timeline(props: { state: FeedState; t: Strings }): VNode {
  const { state, t } = props
  const codes = [...new Set(state.meetings.filter((m) => !m.forbidden).map((m) => m.roomCode))]
  const [code, setCode] = useState(codes.find((c) => c === '615902734') ?? codes[0] ?? '')
  const [nick, setNick] = useState('Bob')
  const [flags, setFlags] = useState({ host: false, external: false, pstn: false })
  const [leaving, setLeaving] = useState('')
  const [run, status] = useAction(t)
  const under = state.meetings.filter((m) => m.roomCode === code)
  const running = under.find((m) => m.status === 2)
  const startable = under.some((m) => m.status === 0) && !running
  const inMeeting = running?.inMeeting ?? []
  const who = inMeeting.includes(leaving) ? leaving : (inMeeting[0] ?? '')
  const label = (c: string) => {
    const ms = state.meetings.filter((m) => m.roomCode === c)
    const m = ms.find((x) => x.status === 2) ?? ms[0]
    if (!m) return c
    const what = m.status === 2 ? `${t.status[2]}, ${t.inNow(m.activeNum)}` : t.status[m.status]
    return `${spaced(c)} · ${m.title} (${what})`
  }
  const path = (op: string) => `meetings/${encodeURIComponent(code)}/${op}`
  const clock = new Date(state.now).toLocaleTimeString(t.lang, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
  return (
    <section class="panel" aria-labelledby="timeline-title">
      <h3 id="timeline-title">{t.timeline}</h3>
      <label class="field">
        <span>{t.meeting}</span>
        <select value={code} onChange={(e) => setCode((e.target as HTMLSelectElement).value)}>
          {codes.map((c) => (
            <option key={c} value={c}>
              {label(c)}
            </option>
          ))}
        </select>
      </label>
      <div class="row">
        <button type="button" class="btn" disabled={!startable} onClick={() => run(path('start'))}>
          {t.start}
        </button>
        <button type="button" class="btn" disabled={!running} onClick={() => run(path('end'))}>
          {t.end}
        </button>
      </div>
      <div class="row">
        <label class="field grow">
          <span>{t.name}</span>
          <input value={nick} onInput={(e) => setNick((e.target as HTMLInputElement).value)} />
        </label>
        <button
          type="button"
          class="btn"
          disabled={!running || !nick.trim()}
          onClick={() => run(path('join'), { nick: nick.trim(), ...flags })}
        >
          {t.join}
        </button>
      </div>
      <div class="row checks">
        {(['host', 'external', 'pstn'] as const).map((f) => (
          <label key={f} class="check">
            <input
              type="checkbox"
              checked={flags[f]}
              onChange={(e) => setFlags({ ...flags, [f]: (e.target as HTMLInputElement).checked })}
            />
            {f === 'pstn' ? t.phone : t[f]}
          </label>
        ))}
      </div>
      <div class="row">
        <label class="field grow">
          <span>{t.whoLeaves}</span>
          <select
            value={who}
            disabled={inMeeting.length === 0}
            onChange={(e) => setLeaving((e.target as HTMLSelectElement).value)}
          >
            {inMeeting.length === 0 ? <option value="">{t.nobodyIn}</option> : null}
            {inMeeting.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="btn" disabled={!who} onClick={() => run(path('leave'), { nick: who })}>
          {t.leave}
        </button>
      </div>
      <fieldset class="row">
        <legend>{t.advance}</legend>
        {[5, 30, 60].map((m) => (
          <button key={m} type="button" class="btn" onClick={() => run('clock/advance', { ms: m * MIN })}>
            +{span(m * MIN)}
          </button>
        ))}
      </fieldset>
      <p class="hint">{t.clock(clock, state.offsetMs > 0 ? span(state.offsetMs) : '')}</p>
      <label class="check">
        <input
          type="checkbox"
          checked={state.eventsEnabled}
          onChange={(e) => run('events', { enabled: (e.target as HTMLInputElement).checked })}
        />
        {t.events}
      </label>
      {status}
    </section>
  )
}

type Kind = 'error' | 'html' | 'slow' | 'reset'

/** Every fault knob of the emulator: API faults, webhook errcodes, sessions, tokens, cards, stream. */
export function Faults(props: { state: FeedState; t: Strings }): VNode {
  const { state, t } = props
  const [target, setTarget] = useState('conference.byRoomCode')
  const [kind, setKind] = useState<Kind>('error')
  const [status, setStatus] = useState('500')
  const [code, setCode] = useState('systemError')
  const [delay, setDelay] = useState('3000')
  const [times, setTimes] = useState('5')
  const [errcodes, setErrcodes] = useState('300001')
  const [deliver, setDeliver] = useState('success-false')
  const [refuse, setRefuse] = useState('3')
  const [run, said] = useAction(t)
  const fault = () => {
    const n = Math.max(1, Number(times) || 1)
    if (kind === 'html') return { html: true, status: Number(status) || 503, times: n }
    if (kind === 'slow') return { delayMs: Number(delay) || 0, times: n }
    if (kind === 'reset') return { reset: true, times: n }
    return { status: Number(status) || 500, code: code.trim() || 'systemError', times: n }
  }
  const input = (label: string, value: string, set: (v: string) => void, numeric = false) => (
    <label class="field">
      <span>{label}</span>
      <input
        inputMode={numeric ? 'numeric' : 'text'}
        value={value}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
      />
    </label>
  )
  return (
    <section class="panel" aria-labelledby="faults-title">
      <h3 id="faults-title">{t.faults}</h3>
      <div class="grid2">
        <label class="field">
          <span>{t.api}</span>
          <select value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
            {state.faultTargets.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t.faultKind}</span>
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as Kind)}>
            {(Object.keys(t.kinds) as Kind[]).map((k) => (
              <option key={k} value={k}>
                {t.kinds[k]}
              </option>
            ))}
          </select>
        </label>
        {kind === 'error' || kind === 'html' ? input(t.httpStatus, status, setStatus, true) : null}
        {kind === 'error' ? input(t.code, code, setCode) : null}
        {kind === 'slow' ? input(t.delayMs, delay, setDelay, true) : null}
        {input(t.times, times, setTimes, true)}
      </div>
      <div class="row">
        <button
          type="button"
          class="btn btn-primary"
          onClick={() => run('faults', { target, fault: fault() })}
        >
          {t.switchOn}
        </button>
        <button type="button" class="btn" onClick={() => run('faults', {}, 'DELETE')}>
          {t.clearAll}
        </button>
      </div>
      <h4>{t.pending}</h4>
      {state.faults.length === 0 && state.webhookAnswers.length === 0 ? (
        <p class="hint">{t.noFaults}</p>
      ) : (
        <ul class="faults">
          {state.faults.map((f, i) => (
            <li key={i}>
              <code>{f.target}</code> {JSON.stringify(f.fault)}
            </li>
          ))}
          {state.webhookAnswers.length > 0 ? (
            <li>
              <code>webhook</code> errcodes {state.webhookAnswers.join(', ')}
            </li>
          ) : null}
        </ul>
      )}
      <div class="row">
        {input(t.webhookAnswers, errcodes, setErrcodes)}
        <button
          type="button"
          class="btn"
          onClick={() =>
            run('webhook/answers', {
              errcodes: errcodes
                .split(/[\s,]+/)
                .filter(Boolean)
                .map(Number),
            })
          }
        >
          {t.queue}
        </button>
      </div>
      <div class="row">
        <label class="field grow">
          <span>{t.nextDeliver}</span>
          <select value={deliver} onChange={(e) => setDeliver((e.target as HTMLSelectElement).value)}>
            {Object.entries(t.deliverOutcomes).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="btn" onClick={() => run('cards/next-deliver', { outcome: deliver })}>
          {t.apply}
        </button>
      </div>
      <div class="row wrap">
        <button type="button" class="btn" onClick={() => run('chat/expire-sessions')}>
          {t.expireSessions}
        </button>
        <button type="button" class="btn" onClick={() => run('tokens/revoke')}>
          {t.revokeTokens}
        </button>
      </div>
      <fieldset class="row wrap">
        <legend>
          {t.stream} ({t.connections(state.streamConnections)})
        </legend>
        {Object.entries(t.streamOps).map(([op, text]) => (
          <button key={op} type="button" class="btn" onClick={() => run(`stream/${op}`)}>
            {text}
          </button>
        ))}
      </fieldset>
      <div class="row">
        {input(t.refuse, refuse, setRefuse, true)}
        <button type="button" class="btn" onClick={() => run('stream/refuse', { n: Number(refuse) || 1 })}>
          {t.apply}
        </button>
      </div>
      {said}
    </section>
  )
}
