/**
 * Renders a DingTalk reply for a terminal: the markdown subset DingTalk shows (headings, bold,
 * italics, quotes, lists, links), buttons as links. Pure; colours only when asked.
 */
export interface RenderOptions {
  readonly color: boolean
}

const ANSI = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
} as const

function style(s: string, kind: keyof typeof ANSI, o: RenderOptions): string {
  return o.color ? `${ANSI[kind][0]}${s}${ANSI[kind][1]}` : s
}

/** Undo our markdown escaping so the terminal shows what DingTalk would. */
function unescapeMarkdown(s: string): string {
  return s
    .replace(/\\([\\`*_[\]~])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function inline(line: string, o: RenderOptions): string {
  let out = line
    .replace(
      /(?<!\\)\[([^\]]*)\]\(([^)\s]+)\)/g,
      (_m, text: string, url: string) => `${text} <${style(url, 'cyan', o)}>`,
    )
    .replace(/(?<!\\)\*\*(.+?)(?<!\\)\*\*/g, (_m, s: string) => style(s, 'bold', o))
    .replace(/(?<![\\*])\*([^*]+?)(?<!\\)\*/g, (_m, s: string) => s)
  out = unescapeMarkdown(out)
  return out
}

export function renderMarkdown(text: string, o: RenderOptions): string {
  return text
    .split('\n')
    .map((line) => {
      const heading = /^#{1,6}\s+(.*)$/.exec(line)
      if (heading) return style(inline(heading[1] as string, o), 'bold', o)
      const quote = /^>\s?(.*)$/.exec(line)
      if (quote) return style(`│ ${inline(quote[1] as string, o)}`, 'dim', o)
      const bullet = /^(\s*)[-*]\s+(.*)$/.exec(line)
      if (bullet) return `${bullet[1]}• ${inline(bullet[2] as string, o)}`
      return inline(line, o)
    })
    .join('\n')
}

export function renderReply(reply: unknown, o: RenderOptions): string {
  const r = (reply ?? {}) as Record<string, Record<string, unknown> | string | undefined>
  const body = (k: string) => (r[k] && typeof r[k] === 'object' ? (r[k] as Record<string, unknown>) : {})
  switch (r.msgtype) {
    case 'text':
      return String(body('text').content ?? '')
    case 'markdown':
      return renderMarkdown(String(body('markdown').text ?? ''), o)
    case 'actionCard': {
      const card = body('actionCard')
      const button = card.singleTitle
        ? `\n[ ${card.singleTitle} ] ${style(String(card.singleURL ?? ''), 'cyan', o)}`
        : ''
      return `${renderMarkdown(String(card.text ?? ''), o)}${button}`
    }
    // Robot OpenAPI replies (the fallback path) arrive as msgKey + msgParam.
    case undefined:
      if (typeof r.msgKey === 'string') {
        const p = body('msgParam')
        if (r.msgKey === 'sampleText') return String(p.content ?? '')
        if (r.msgKey === 'sampleMarkdown') return renderMarkdown(String(p.text ?? ''), o)
        if (r.msgKey === 'sampleActionCard') return renderReply({ msgtype: 'actionCard', actionCard: p }, o)
      }
      return JSON.stringify(reply)
    default:
      return JSON.stringify(reply)
  }
}
