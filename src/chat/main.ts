import { appendFileSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { emulatedUser } from '../emulator/messages.js'
import { ChatClient, ChatError, type ChatTarget } from './client.js'
import { renderReply } from './render.js'

const USAGE = `Usage: npm run chat -- [options] [message]

Talk to the running bot (emulator mode) as DingTalk would. With a message: send it, print the
reply, exit. Without: an interactive chat.

Options:
  --via http|stream        signed HTTP callback (default) or a stream frame through the emulator
  --as user|admin|<id>     who is talking (default: user; admin is a DingTalk org admin)
  --in group|single        a group chat (default) or a one-to-one chat
  --emulator <url>         the bot's emulator (default: http://127.0.0.1:3001)
  --timeout <seconds>      how long to wait for a reply (default: 15)
  --json                   print the raw reply JSON
  --no-color               plain text
  -h, --help               this text

In the chat, lines starting with ":" are for the chat itself:
  :as user|admin|<id>   :in group|single   :via http|stream   :who   :quit`

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      via: { type: 'string', default: 'http' },
      as: { type: 'string', default: 'user' },
      in: { type: 'string', default: 'group' },
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
  return `${t.user.nick} (${t.user.staffId}${t.user.isAdmin ? ', admin' : ''}) in a ${t.conversation === 'group' ? 'group chat' : 'one-to-one chat'} via ${t.transport}`
}

async function interactive(
  client: ChatClient,
  start: ChatTarget,
  print: (r: unknown, via: string, ms: number, who: ChatTarget['user']) => void,
): Promise<void> {
  const info = await client.connect()
  let target = start
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
  const codes = info.meetings.map((m) => m.roomCode).filter((c, i, a) => a.indexOf(c) === i)
  process.stdout.write(`Chatting with the bot at ${info.botUrl} as ${describe(target)}.\n`)
  process.stdout.write(
    `Try: "meeting ${codes[0] ?? '615902734'}", "help", or :quit. Sample room codes: ${codes.join(', ')}\n`,
  )
  rl.prompt()
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
      const [cmd, arg = ''] = line.slice(1).split(/\s+/)
      if (cmd === 'quit' || cmd === 'q' || cmd === 'exit') break
      try {
        if (cmd === 'as') {
          if (!arg) throw new ChatError('usage: :as user|admin|<staff id>')
          target = { ...target, user: emulatedUser(arg) }
        } else if (cmd === 'in')
          target = targetFrom({ via: target.transport, as: target.user.staffId, in: arg })
        else if (cmd === 'via')
          target = targetFrom({ via: arg, as: target.user.staffId, in: target.conversation })
        else if (cmd !== 'who')
          throw new ChatError(`unknown chat command ":${cmd}" (try :as, :in, :via, :who, :quit)`)
        process.stdout.write(`now ${describe(target)}\n`)
      } catch (err) {
        process.stdout.write(`${(err as Error).message}\n`)
      }
    } else if (line) {
      try {
        const r = await client.send(line, target)
        print(r.reply, r.via, r.ms, target.user)
      } catch (err) {
        process.stdout.write(`! ${(err as Error).message}\n`)
      }
    }
    rl.prompt()
  }
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
  const print = (reply: unknown, via: string, ms: number, who: ChatTarget['user']) => {
    if (v.json) {
      process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`)
      return
    }
    // DingTalk shows an @-mention of a staff id as the person's name.
    const text = renderReply(reply, { color }).split(`@${who.staffId}`).join(`@${who.nick}`)
    process.stdout.write(`${text}\n${color ? '\x1b[2m' : ''}(${via}, ${ms} ms)${color ? '\x1b[22m' : ''}\n`)
  }
  try {
    const target = targetFrom(v)
    const client = new ChatClient(v.emulator.replace(/\/+$/, ''), Number(v.timeout) * 1000)
    if (args.positionals.length > 0) {
      const r = await client.send(args.positionals.join(' '), target)
      print(r.reply, r.via, r.ms, target.user)
      return 0
    }
    await interactive(client, target, print)
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
