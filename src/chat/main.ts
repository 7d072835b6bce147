import { appendFileSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { type EmulatedUser, emulatedUser, orgUser } from '../emulator/messages.js'
import { type ChatCard, describePress } from './card-render.js'
import { CardScreen } from './card-screen.js'
import { ChatClient, ChatError, type ChatOrg, type ChatTarget, cardSpace } from './client.js'
import {
  CHAT_COMMANDS_HELP,
  type ChatCommand,
  describeAdvance,
  describeChange,
  type MeetingChange,
  parseChatCommand,
} from './commands.js'
import { followCards, type Printer, watchNotices } from './follow.js'
import { renderReply } from './render.js'

const USAGE = `Usage: npm run chat -- [options] [message]

Talk to the running bot (emulator mode) as DingTalk would. With a message: send it, print the
reply, exit. Without: an interactive chat, which also prints what the bot posts on its own (the
notices of "watch <room code>") as it arrives, and keeps its live meeting cards current (redrawn
in place on a terminal, each update printed otherwise).

Options:
  --via http|stream        signed HTTP callback (default) or a stream frame through the emulator
  --as user|admin|<id>     who is talking (default: user; admin is a DingTalk org admin)
  --in group|single        a group chat (default) or a one-to-one chat
  --org <corpId>           speak as a user of this org (ISV mode: one of the emulator's orgs;
                           default its first); --as admin is then the org's admin
  --emulator <url>         the bot's emulator (default: http://127.0.0.1:3001)
  --timeout <seconds>      how long to wait for a reply (default: 15)
  --json                   print the raw reply JSON
  --no-color               plain text
  -h, --help               this text

${CHAT_COMMANDS_HELP}`

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      via: { type: 'string', default: 'http' },
      as: { type: 'string', default: 'user' },
      in: { type: 'string', default: 'group' },
      org: { type: 'string' },
      emulator: { type: 'string', default: 'http://127.0.0.1:3001' },
      timeout: { type: 'string', default: '15' },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
}

function targetFrom(v: { via: string; as: string; in: string }): ChatTarget {
  if (v.via !== 'http' && v.via !== 'stream')
    throw new ChatError(`--via must be http or stream, not "${v.via}"`)
  if (v.in !== 'group' && v.in !== 'single')
    throw new ChatError(`--in must be group or single, not "${v.in}"`)
  return { transport: v.via, conversation: v.in, user: emulatedUser(v.as) }
}

function describe(t: ChatTarget): string {
  const admin = t.user.isAdmin || !!t.org?.admins.includes(t.user.staffId)
  const org = t.org ? ` of ${t.org.name} (${t.org.corpId})` : ''
  return `${t.user.nick} (${t.user.staffId}${admin ? ', admin' : ''})${org} in a ${t.conversation === 'group' ? 'group chat' : 'one-to-one chat'} via ${t.transport}`
}

/** Who `--as` / `:as` names: in an org, its admin for `admin` and its admins marked. */
function userOf(who: string, org: ChatOrg | undefined): EmulatedUser {
  if (!org) return emulatedUser(who)
  try {
    return orgUser(org, who)
  } catch (err) {
    throw new ChatError((err as Error).message)
  }
}

/**
 * The target in the org `corpId` (an unknown one is a ChatError listing the emulator's orgs);
 * without one, in the emulator's first authorized org when it runs in ISV mode.
 */
async function inOrg(client: ChatClient, target: ChatTarget, corpId: string | undefined, who: string) {
  const orgs = corpId === undefined ? ((await client.connect()).orgs ?? []) : []
  const org = corpId === undefined ? (orgs.find((o) => o.authorized) ?? orgs[0]) : await client.org(corpId)
  return org ? { ...target, org, user: userOf(who, org) } : target
}

/** The timeline routes' `corpId`: the org's meeting when several orgs have the room code. */
function inCorp(target: ChatTarget): { corpId?: string } {
  return target.org ? { corpId: target.org.corpId } : {}
}

/** Runs one chat command: a new target (who, where, how), or what to print. */
async function chatCommand(
  client: ChatClient,
  cmd: ChatCommand,
  target: ChatTarget,
): Promise<ChatTarget | string> {
  switch (cmd.kind) {
    case 'as':
      return { ...target, user: userOf(cmd.who, target.org) }
    case 'in':
      return {
        ...targetFrom({ via: target.transport, as: target.user.staffId, in: cmd.conversation }),
        ...(target.org ? { org: target.org } : {}),
      }
    case 'via':
      return {
        ...targetFrom({ via: cmd.transport, as: target.user.staffId, in: target.conversation }),
        ...(target.org ? { org: target.org } : {}),
      }
    case 'org': {
      if (cmd.corpId)
        return inOrg(client, target, cmd.corpId, target.user.isAdmin ? 'admin' : target.user.staffId)
      const orgs = (await client.connect()).orgs ?? []
      if (orgs.length === 0) return 'the emulator has no orgs (it is not in ISV mode)'
      return orgs
        .map(
          (o) =>
            `${o.corpId === target.org?.corpId ? '*' : ' '} ${o.corpId}  ${o.name}${o.authorized ? '' : ' (not authorized)'}`,
        )
        .join('\n')
    }
    case 'help':
      return CHAT_COMMANDS_HELP
    case 'advance': {
      const { now, offsetMs } = await client.advance(cmd.ms)
      return describeAdvance(cmd.ms, offsetMs, now)
    }
    case 'events':
      await client.setEvents(cmd.enabled)
      return `meeting events ${cmd.enabled ? 'on: DingTalk pushes them to the bot' : 'off: the bot must poll'}`
    case 'start':
    case 'end':
      return describeChange(cmd, await client.meeting<MeetingChange>(cmd.code, cmd.kind, inCorp(target)))
    case 'join':
    case 'leave': {
      const { code, kind, ...body } = cmd
      return describeChange(
        cmd,
        await client.meeting<MeetingChange>(code, kind, { ...body, ...inCorp(target) }),
      )
    }
    case 'press': {
      const card = await client.latestCard(cardSpace(target))
      if (!card) throw new ChatError('no meeting card in this chat yet: ask "meeting <room code>" first')
      return describePress(
        card,
        cmd.action,
        await client.press(card.outTrackId, cmd.action, target.user.staffId),
      )
    }
    default:
      return target
  }
}

async function interactive(
  client: ChatClient,
  start: ChatTarget,
  print: Printer,
  screen: CardScreen,
): Promise<void> {
  const info = await client.connect()
  let target = start
  let answering: Promise<unknown> = Promise.resolve()
  const historyFile = join(homedir(), '.meeting-bot-chat-history')
  let history: string[] = []
  try {
    history = readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500)
  } catch {
    // No history yet.
  }
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    history,
    historySize: 500,
    prompt: '> ',
  })
  const codes = info.meetings
    .filter((m) => !target.org || m.corpId === target.org.corpId)
    .map((m) => m.roomCode)
    .filter((c, i, a) => a.indexOf(c) === i)
  screen.write(`Chatting with the bot at ${info.botUrl} as ${describe(target)}.\n`)
  screen.write(
    `Try: "meeting ${codes[0] ?? '615902734'}", "help", :help (time, start, join, press...) or :quit. Sample room codes: ${codes.join(', ')}\n`,
  )
  const prompt = (keepLine = false) => {
    rl.prompt(keepLine)
    screen.prompted()
  }
  // The typed line and its Enter are on screen now, below any live card.
  rl.on('line', () => screen.lineEntered())
  prompt()
  const current = () => ({ target, answering })
  const notices = watchNotices(client, current, print, () => prompt(true))
  const cards = followCards(client, current, screen, () => prompt(true))
  for await (const raw of rl) {
    const line = raw.trim()
    if (line) {
      try {
        appendFileSync(historyFile, `${line}\n`)
      } catch {
        // History is a convenience.
      }
    }
    if (line.startsWith(':')) {
      try {
        const cmd = parseChatCommand(line)
        if (cmd.kind === 'quit') break
        const said = await chatCommand(client, cmd, target)
        if (typeof said === 'string') screen.write(`${said}\n`)
        else {
          target = said
          screen.write(`now ${describe(target)}\n`)
        }
      } catch (err) {
        if (!(err instanceof ChatError)) throw err
        screen.write(`${err.message}\n`)
      }
    } else if (line) {
      try {
        const sending = client.send(line, target)
        answering = sending
        const r = await sending
        print(r.reply, r.via, r.ms, target.user)
      } catch (err) {
        screen.write(`! ${(err as Error).message}\n`)
      }
    }
    prompt()
  }
  notices.stop()
  cards.stop()
  rl.close()
}

export async function chat(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse(argv)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  const v = args.values
  if (v.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const color = !v['no-color'] && !v.json && process.stdout.isTTY === true && !process.env.NO_COLOR
  const screen = new CardScreen(process.stdout, { color, json: v.json })
  const print: Printer = (reply, via, ms, who) => {
    // An interactive card answering the question: shown, and kept current while the chat runs.
    if (via === 'card') return screen.show(reply as ChatCard, { foot: `(card, ${ms} ms)` })
    if (v.json) {
      screen.write(`${JSON.stringify(reply, null, 2)}\n`)
      return
    }
    // DingTalk shows an @-mention of a staff id as the person's name.
    const text = renderReply(reply, { color }).split(`@${who.staffId}`).join(`@${who.nick}`)
    const how = ms === undefined ? `(${via})` : `(${via}, ${ms} ms)`
    const head =
      ms === undefined ? `${color ? '\x1b[1m' : ''}🔔 the bot posted:${color ? '\x1b[22m' : ''}\n` : ''
    screen.write(`${head}${text}\n${color ? '\x1b[2m' : ''}${how}${color ? '\x1b[22m' : ''}\n`)
  }
  try {
    const client = new ChatClient(v.emulator.replace(/\/+$/, ''), Number(v.timeout) * 1000)
    const target = await inOrg(client, targetFrom(v), v.org, v.as)
    if (args.positionals.length > 0) {
      const r = await client.send(args.positionals.join(' '), target)
      print(r.reply, r.via, r.ms, target.user)
      return 0
    }
    await interactive(client, target, print, screen)
    return 0
  } catch (err) {
    if (!(err instanceof ChatError)) throw err
    process.stderr.write(`chat: ${err.message}\n`)
    return 1
  }
}

chat(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`chat failed: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  },
)
