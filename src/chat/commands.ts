import { ChatError } from './client.js'

/**
 * The chat's own commands (lines starting with ":"): who is talking and how, and the emulated
 * meetings' timeline. Parsing is pure so it can be tested without a terminal.
 */
export type ChatCommand =
  | { readonly kind: 'quit' | 'who' | 'help' }
  | { readonly kind: 'as'; readonly who: string }
  | { readonly kind: 'in'; readonly conversation: string }
  | { readonly kind: 'via'; readonly transport: string }
  | { readonly kind: 'org'; readonly corpId: string }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'start' | 'end'; readonly code: string }
  | { readonly kind: 'events'; readonly enabled: boolean }
  | {
      readonly kind: 'join'
      readonly code: string
      readonly nick: string
      readonly host: boolean
      readonly external: boolean
      readonly pstn: boolean
    }
  | { readonly kind: 'leave'; readonly code: string; readonly nick: string }
  | { readonly kind: 'press'; readonly action: CardAction }

/** What the meeting card's buttons send (Join is a link: nothing to press). */
export const CARD_ACTIONS = ['refresh', 'members', 'watch', 'unwatch'] as const
export type CardAction = (typeof CARD_ACTIONS)[number]

export const CHAT_COMMANDS_HELP = `In the chat, lines starting with ":" are for the chat itself:
  :as user|admin|<id>   :in group|single   :via http|stream   :who   :help   :quit
  :org [<corpId>]               speak as a user of that org (ISV mode); without one, list the orgs
  :advance 30m                  let time pass in the emulated meetings (s, m, h; 1h30m)
  :start <code>                 start a meeting that has not started
  :end <code>                   end the meeting in progress (everyone leaves)
  :join <code> <name> [--host] [--external] [--pstn]
                                someone joins the meeting in progress
  :leave <code> <name>          someone leaves it
  :events on|off                DingTalk pushes meeting events to the bot, or not (it must poll)
  :press refresh|members|watch|unwatch
                                press a button on the latest meeting card in this chat`

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const

/** `30m`, `90s`, `1h30m`: a unit is required, so `:advance 30` is not quietly 30 ms. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([smh])/gy)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2] as 's' | 'm' | 'h'], 0))
}

const FLAGS = ['--host', '--external', '--pstn'] as const

/** A meeting and, for join and leave, a name: the code may be typed with spaces (`615 902 734`). */
function codeAndName(args: string[], usage: string): { code: string; rest: string[] } {
  const digits: string[] = []
  let i = 0
  while (i < args.length && /^\d+$/.test(args[i] as string)) digits.push(args[i++] as string)
  if (digits.length === 0 && /^[0-9a-f]{24}$/i.test(args[0] ?? ''))
    return { code: args[0] as string, rest: args.slice(1) }
  if (digits.length === 0) throw new ChatError(`usage: ${usage}`)
  return { code: digits.join(''), rest: args.slice(i) }
}

/** Parses a line that starts with ":". Throws a ChatError that shows the usage. */
export function parseChatCommand(line: string): ChatCommand {
  const [word = '', ...args] = line.replace(/^:/, '').trim().split(/\s+/)
  const arg = args.join(' ')
  switch (word) {
    case 'quit':
    case 'q':
    case 'exit':
      return { kind: 'quit' }
    case 'who':
    case 'help':
      return { kind: word }
    case 'as':
      if (!arg) throw new ChatError('usage: :as user|admin|<staff id>')
      return { kind: 'as', who: arg }
    case 'in':
      return { kind: 'in', conversation: arg }
    case 'via':
      return { kind: 'via', transport: arg }
    case 'org':
      return { kind: 'org', corpId: arg }
    case 'advance': {
      const ms = parseDuration(arg)
      if (ms === undefined) throw new ChatError('usage: :advance <time>, e.g. :advance 30m (units s, m, h)')
      return { kind: 'advance', ms }
    }
    case 'start':
    case 'end': {
      const { code, rest } = codeAndName(args, `:${word} <room code>`)
      if (rest.length > 0) throw new ChatError(`usage: :${word} <room code>`)
      return { kind: word, code }
    }
    case 'events':
      if (arg !== 'on' && arg !== 'off') throw new ChatError('usage: :events on|off')
      return { kind: 'events', enabled: arg === 'on' }
    case 'join':
    case 'leave': {
      const usage =
        word === 'join'
          ? ':join <room code> <name> [--host] [--external] [--pstn]'
          : ':leave <room code> <name>'
      const { code, rest } = codeAndName(args, usage)
      const flags = rest.filter((a) => a.startsWith('--'))
      const unknown = flags.filter((f) => !(word === 'join' && (FLAGS as readonly string[]).includes(f)))
      const nick = rest.filter((a) => !a.startsWith('--')).join(' ')
      if (!nick || unknown.length > 0) throw new ChatError(`usage: ${usage}`)
      if (word === 'leave') return { kind: 'leave', code, nick }
      return {
        kind: 'join',
        code,
        nick,
        host: flags.includes('--host'),
        external: flags.includes('--external'),
        pstn: flags.includes('--pstn'),
      }
    }
    case 'press':
      if (!(CARD_ACTIONS as readonly string[]).includes(arg))
        throw new ChatError(`usage: :press ${CARD_ACTIONS.join('|')}`)
      return { kind: 'press', action: arg as CardAction }
    default:
      throw new ChatError(`unknown chat command ":${word}" (try :help)`)
  }
}

/** How DingTalk prints room codes: groups of three digits. */
function spaced(code: string): string {
  return /^\d+$/.test(code) ? code.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : code
}

/** `1 h 30 min`, `1 min 30 s`, `0 s`: whole seconds, zero parts left out. */
export function span(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000))
  const [h, min, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60]
  const parts = [h ? `${h} h` : '', min ? `${min} min` : '', s ? `${s} s` : ''].filter(Boolean)
  return parts.length ? parts.join(' ') : '0 s'
}

/** A meeting as the emulator's control API answers after a change. */
export interface MeetingChange {
  readonly meeting: {
    readonly roomCode: string
    readonly title: string
    readonly status: number
    readonly startTime: number
    readonly endTime?: number
    readonly activeNum: number
    readonly attendNum: number
  }
  readonly member?: { readonly userNick: string }
}

/** The printed confirmation of a timeline command. */
export function describeChange(cmd: ChatCommand, change: MeetingChange): string {
  const m = change.meeting
  const name = `${spaced(m.roomCode)} "${m.title}"`
  const who = change.member?.userNick ?? ''
  switch (cmd.kind) {
    case 'start':
      return `started ${name}: in progress, nobody in it yet`
    case 'end':
      return `ended ${name} after ${span((m.endTime ?? m.startTime) - m.startTime)}: ${m.attendNum} joined in total`
    case 'join':
      return `${who} joined ${name}: ${m.activeNum} in the meeting now`
    case 'leave':
      return `${who} left ${name}: ${m.activeNum} in the meeting now`
    default:
      return ''
  }
}

/** The printed confirmation of `:advance`. */
export function describeAdvance(ms: number, offsetMs: number, now: number): string {
  const ahead = offsetMs > 0 ? `, ${span(offsetMs)} ahead of real time` : ''
  return `emulator clock moved ${span(ms)} on: ${new Date(now).toISOString()}${ahead}`
}
