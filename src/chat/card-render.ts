import { type RenderOptions, renderMarkdown } from './render.js'

/** What the chat needs of a card instance the emulator holds (`GET /_emulator/cards`). */
export interface ChatCard {
  readonly outTrackId: string
  readonly space: { readonly type: string; readonly id: string }
  readonly data: Readonly<Record<string, string>>
  readonly version: number
  readonly createdAt: number
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes start with ESC
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

function bold(s: string, o: RenderOptions): string {
  return o.color ? `\x1b[1m${s}\x1b[22m` : s
}

function dim(s: string, o: RenderOptions): string {
  return o.color ? `\x1b[2m${s}\x1b[22m` : s
}

/**
 * An interactive meeting card (the variables of issue 14's template) for a terminal: title, the
 * body markdown, the members list when filled, the note, and the buttons as one line.
 */
export function renderCard(card: ChatCard, o: RenderOptions): string {
  const d = card.data
  const lines = [bold(d.title || card.outTrackId, o)]
  if (d.body) lines.push(renderMarkdown(d.body, o))
  if (d.members) lines.push(renderMarkdown(d.members, o))
  if (d.note) lines.push(dim(d.note, o))
  lines.push(buttonLine(d, o))
  return lines.join('\n')
}

/** `[Refresh] [Members] [Watch] [Join ↗ url]`: the labels the card carries, Join only when shown. */
export function buttonLine(d: Readonly<Record<string, string>>, o: RenderOptions): string {
  const watch = d.watchLabel || (d.watchAction === 'unwatch' ? 'Unwatch' : 'Watch')
  const buttons = [`[${d.refreshLabel || 'Refresh'}]`, `[${d.membersLabel || 'Members'}]`, `[${watch}]`]
  if (d.showJoin === 'true' && d.joinUrl) {
    const url = o.color ? `\x1b[36m${d.joinUrl}\x1b[39m` : d.joinUrl
    buttons.push(`[${d.joinLabel || 'Join'} ↗ ${url}]`)
  }
  return buttons.join(' ')
}

/** The label of the button that sends `action` (`watch` and `unwatch` are one button). */
export function buttonLabel(d: Readonly<Record<string, string>>, action: string): string {
  const key = action === 'unwatch' ? 'watchLabel' : `${action}Label`
  return d[key] || action[0]?.toUpperCase() + action.slice(1)
}

/** Columns a character takes: CJK, full-width forms and emoji take two, combining marks none. */
function charWidth(cp: number): number {
  if (cp === 0x200d || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  return wide ? 2 : 1
}

/** How many terminal rows `text` takes at this width (each line at least one; long lines wrap). */
export function rowsOf(text: string, columns: number | undefined): number {
  const lines = text.replace(/\n$/, '').split('\n')
  if (!columns || columns <= 0) return lines.length
  let rows = 0
  for (const line of lines) {
    let width = 0
    for (const ch of line.replace(ANSI, '')) width += charWidth(ch.codePointAt(0) ?? 0)
    rows += Math.max(1, Math.ceil(width / columns))
  }
  return rows
}

/** The printed outcome of `:press`: which button, how the bot answered, what it changed on the card. */
export function describePress(
  card: ChatCard,
  action: string,
  answer: { via: string; ms: number; response: unknown },
): string {
  const map = (answer.response as { cardData?: { cardParamMap?: unknown } } | null)?.cardData?.cardParamMap
  const keys = map && typeof map === 'object' ? Object.keys(map) : []
  const what = keys.length > 0 ? `, setting ${keys.join(', ')}` : ' with no card data'
  return `pressed [${buttonLabel(card.data, action)}] on "${card.data.title || card.outTrackId}": the bot answered over ${answer.via} in ${answer.ms} ms${what}`
}
