import type { ComponentChildren, VNode } from 'preact'

/*
 * DingTalk's markdown subset (headings, bold, italics, links, quotes, lists, line breaks) as Preact
 * nodes. Everything is text to Preact: no string is ever handed to the DOM as HTML, so a meeting
 * title holding `<script>` shows as those characters. Links are followed only for http(s).
 */

/** Undoes the bot's markdown escaping (`\*`, `&lt;`), as DingTalk shows it. */
const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
}
const ESCAPABLE = '\\`*_[]~()#>-+.!|'

/** Only web links open; anything else (javascript:, data:) is shown as text. */
export function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url.trim()) ? url.trim() : undefined
}

/** Finds the closing delimiter at or after `from`, skipping escaped characters. */
function closing(s: string, delim: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') {
      i++
      continue
    }
    if (s.startsWith(delim, i)) return i
  }
  return -1
}

/** Inline markup: escapes, entities, **bold**, *italic*, [links](url), ![images](url) as links. */
export function inline(
  s: string,
  decorate: (text: string) => ComponentChildren = (t) => t,
): ComponentChildren[] {
  const out: ComponentChildren[] = []
  let text = ''
  const flush = () => {
    if (text) out.push(decorate(text))
    text = ''
  }
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (c === '\\' && i + 1 < s.length && ESCAPABLE.includes(s[i + 1] as string)) {
      text += s[++i]
      continue
    }
    if (c === '&') {
      const entity = Object.keys(ENTITIES).find((e) => s.startsWith(e, i))
      if (entity) {
        text += ENTITIES[entity]
        i += entity.length - 1
        continue
      }
    }
    if (s.startsWith('**', i)) {
      const end = closing(s, '**', i + 2)
      if (end > i + 2) {
        flush()
        out.push(<strong>{inline(s.slice(i + 2, end), decorate)}</strong>)
        i = end + 1
        continue
      }
    }
    if (c === '*' || c === '_') {
      const end = closing(s, c, i + 1)
      if (end > i + 1) {
        flush()
        out.push(<em>{inline(s.slice(i + 1, end), decorate)}</em>)
        i = end
        continue
      }
    }
    const image = c === '!' && s[i + 1] === '['
    if (c === '[' || image) {
      const open = image ? i + 1 : i
      const mid = closing(s, '](', open + 1)
      const end = mid > 0 ? s.indexOf(')', mid + 2) : -1
      if (mid > 0 && end > 0) {
        flush()
        const label = s.slice(open + 1, mid)
        const href = safeHref(s.slice(mid + 2, end))
        const children = inline(label || s.slice(mid + 2, end), decorate)
        out.push(
          href ? (
            <a href={href} target="_blank" rel="noopener noreferrer">
              {children}
            </a>
          ) : (
            <span class="md-link-off">{children}</span>
          ),
        )
        i = end
        continue
      }
    }
    text += c
  }
  flush()
  return out
}

type Block =
  | { kind: 'h'; level: number; text: string }
  | { kind: 'quote'; lines: string[] }
  | { kind: 'ul' | 'ol'; items: string[] }
  | { kind: 'hr' }
  | { kind: 'p'; lines: string[] }

function blocks(text: string): Block[] {
  const out: Block[] = []
  const last = () => out[out.length - 1]
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.replace(/\s+$/, '')
    const heading = /^(#{1,6})\s+(.*)$/.exec(line)
    const quote = /^>\s?(.*)$/.exec(line)
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line)
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line)
    const prev = last()
    if (!line.trim()) out.push({ kind: 'p', lines: [] })
    else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) out.push({ kind: 'hr' })
    else if (heading)
      out.push({ kind: 'h', level: (heading[1] as string).length, text: heading[2] as string })
    else if (quote) {
      if (prev?.kind === 'quote') prev.lines.push(quote[1] as string)
      else out.push({ kind: 'quote', lines: [quote[1] as string] })
    } else if (bullet || numbered) {
      const kind = bullet ? 'ul' : 'ol'
      const item = ((bullet ?? numbered) as RegExpExecArray)[1] as string
      if (prev?.kind === kind) prev.items.push(item)
      else out.push({ kind, items: [item] })
    } else if (prev?.kind === 'p' && prev.lines.length > 0) prev.lines.push(line)
    else out.push({ kind: 'p', lines: [line] })
  }
  return out.filter((b) => b.kind !== 'p' || b.lines.length > 0)
}

function lines(ls: string[], decorate: (t: string) => ComponentChildren): ComponentChildren[] {
  return ls.flatMap((l, i) => (i === 0 ? inline(l, decorate) : [<br key={i} />, ...inline(l, decorate)]))
}

/** A DingTalk markdown text as nodes; `decorate` styles plain runs (the @-mentions). */
export function Markdown(props: { text: string; decorate?: (t: string) => ComponentChildren }): VNode {
  const decorate = props.decorate ?? ((t: string) => t)
  return (
    <div class="md">
      {blocks(props.text).map((b, i) => {
        switch (b.kind) {
          case 'h':
            return (
              <p key={i} class={`md-h md-h${b.level}`}>
                {inline(b.text, decorate)}
              </p>
            )
          case 'quote':
            return <blockquote key={i}>{lines(b.lines, decorate)}</blockquote>
          case 'ul':
            return (
              <ul key={i}>
                {b.items.map((it, j) => (
                  <li key={j}>{inline(it, decorate)}</li>
                ))}
              </ul>
            )
          case 'ol':
            return (
              <ol key={i}>
                {b.items.map((it, j) => (
                  <li key={j}>{inline(it, decorate)}</li>
                ))}
              </ol>
            )
          case 'hr':
            return <hr key={i} />
          default:
            return <p key={i}>{lines(b.lines, decorate)}</p>
        }
      })}
    </div>
  )
}
