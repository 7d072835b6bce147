import { randomBytes } from 'node:crypto'
import { destination, multistream } from 'pino'
import pretty from 'pino-pretty'
import { type Config, loadConfig } from '../config.js'
import { DingTalkEmulator } from '../emulator/emulator.js'
import { LogTap } from '../emulator/log-tap.js'
import { type EmulatorMeeting, loadMeetingsFile, sampleMeetings } from '../emulator/meetings.js'
import { sampleIsvOrgs } from '../emulator/orgs.js'
import { formatRoomCode } from '../features/meeting/reference.js'
import { createLogger, type Logger } from '../logger.js'
import { PLAYGROUND_PATH, registerPlayground } from '../playground/serve.js'
import { type App, createApp } from './index.js'
import { startupError } from './startup-error.js'

export interface Running {
  readonly app: App
  readonly config: Config
  readonly log: Logger
  /** Where the bot listens. */
  readonly url: string
  readonly emulator: DingTalkEmulator | undefined
  stop(): Promise<void>
}

const EMULATED_APP = 'dingemulatorapp'

async function emulatorMeetings(config: Config, now: number): Promise<EmulatorMeeting[]> {
  const samples = sampleMeetings(now)
  if (!config.emulator.meetingsFile) return samples
  const file = await loadMeetingsFile(config.emulator.meetingsFile, now)
  return file.mode === 'replace'
    ? file.meetings
    : [
        ...samples.filter((s) => !file.meetings.some((m) => m.conferenceId === s.conferenceId)),
        ...file.meetings,
      ]
}

/** The configuration the bot runs with against the emulator: ordinary settings, local endpoints. */
function againstEmulator(config: Config, emu: DingTalkEmulator): Config {
  const { clientId, clientSecret } = emu.opts
  return {
    ...config,
    // The emulator signs HTTP card clicks with the app secret unless told otherwise (as here).
    cards: { ...config.cards, callbackSecret: config.cards.callbackSecret || clientSecret },
    dingtalk: {
      ...config.dingtalk,
      clientId,
      clientSecret,
      robotCode: clientId,
      apiBase: emu.baseUrl,
      oapiBase: emu.baseUrl,
    },
  }
}

export interface StartOptions {
  /** Emulator mode: the bot's log, teed here, feeds the playground's log pane (`run` sets it up). */
  readonly logTap?: LogTap
  /** Where the built playground is (default dist/public/playground). */
  readonly playgroundRoot?: string
}

/**
 * Starts the bot: against DingTalk with credentials, or (without them, outside production) against
 * the built-in emulator in the same process. Resolves once it listens.
 */
export async function start(config: Config, log: Logger, opts: StartOptions = {}): Promise<Running> {
  let emulator: DingTalkEmulator | undefined
  let effective = config
  let botUrl = ''
  if (config.mode === 'emulator') {
    emulator = await DingTalkEmulator.start({
      clientId: EMULATED_APP,
      // Fresh per run: nothing outside this machine can rely on it.
      clientSecret: randomBytes(18).toString('base64url'),
      ...(config.cards.callbackSecret ? { cardCallbackSecret: config.cards.callbackSecret } : {}),
      meetings: await emulatorMeetings(config, Date.now()),
      // A third-party app: the emulator plays two orgs that installed it, and pushes the ticket.
      ...(config.appType === 'isv' ? { isv: { orgs: sampleIsvOrgs(Date.now()) } } : {}),
      host: '127.0.0.1',
      port: config.emulator.port,
      control: {
        info: () => ({
          clientId: EMULATED_APP,
          clientSecret: emulator?.opts.clientSecret,
          robotCode: EMULATED_APP,
          botUrl,
          transports: config.transports,
          botAdmins: config.admins,
          meetings:
            emulator?.meetings.map((m) => ({ roomCode: m.roomCode, title: m.title, status: m.status })) ?? [],
        }),
      },
    })
    effective = againstEmulator(config, emulator)
    const feed = emulator.feed
    if (feed) opts.logTap?.connect((line) => feed.botLog(line))
  }
  let app: App
  try {
    app = await createApp({ config: effective, log })
  } catch (err) {
    await emulator?.close()
    throw err
  }
  // The browser playground: emulator mode only (with real credentials /playground is a 404).
  if (emulator)
    registerPlayground(app.server, {
      emulatorUrl: emulator.baseUrl,
      ...(opts.playgroundRoot ? { root: opts.playgroundRoot } : {}),
    })
  try {
    const address = await app.server.listen({ host: config.host, port: config.port })
    botUrl = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '[::1]')
  } catch (err) {
    await app.stop()
    await emulator?.close()
    throw err
  }
  log.info({ mode: config.mode, transports: config.transports, url: botUrl }, 'meeting-bot started')
  return {
    app,
    config: effective,
    log,
    url: botUrl,
    emulator,
    async stop() {
      await app.stop()
      await emulator?.close()
    },
  }
}

/**
 * The process's start: configuration from the environment, the logger, the bot (and in emulator
 * mode the emulator and its banner). Every failure the operator can fix is a `StartupError`.
 */
export async function run(env: NodeJS.ProcessEnv): Promise<Running> {
  try {
    const config = loadConfig(env)
    const pretty = process.stdout.isTTY === true
    // Emulator mode: every line goes to stdout as usual and also to the playground's log pane.
    const logTap = config.mode === 'emulator' ? new LogTap() : undefined
    const log = logTap
      ? createLogger(
          config.logLevel,
          multistream([
            { level: 'trace', stream: pretty ? prettyStream() : destination({ dest: 1, sync: true }) },
            { level: 'info', stream: logTap },
          ]),
        )
      : createLogger(config.logLevel, undefined, { pretty })
    const running = await start(config, log, logTap ? { logTap } : {})
    if (running.emulator) process.stdout.write(emulatorBanner(running))
    return running
  } catch (err) {
    throw startupError(err) ?? err
  }
}

/** A terminal's readable log, with createLogger's `pretty` options (a tee needs the stream itself). */
function prettyStream() {
  return pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true })
}

const STATUS = ['not started', 'ended', 'in progress'] as const

/** What a newcomer sees first in emulator mode: what this is, what to ask, how to talk to it. */
export function emulatorBanner(r: Running): string {
  const emu = r.emulator as DingTalkEmulator
  const rooms = new Map<string, EmulatorMeeting[]>()
  for (const m of emu.meetings) rooms.set(m.roomCode, [...(rooms.get(m.roomCode) ?? []), m])
  const lines = [
    'meeting-bot is running in EMULATOR MODE: no DingTalk credentials are set, so a built-in',
    `DingTalk emulator at ${emu.baseUrl} plays DingTalk (token, meetings, robot replies, stream gateway).`,
    `Bot: ${r.url}   transports: ${r.config.transports.join(', ')}`,
    `Playground (DingTalk's chat window in your browser): ${r.url}${PLAYGROUND_PATH}`,
    r.config.cards.templateId
      ? 'Meeting answers are live cards (buttons: ":press refresh" in the chat); DINGTALK_CARD_TEMPLATE_ID= for markdown.'
      : 'Meeting answers are markdown cards (live cards are off: DINGTALK_CARD_TEMPLATE_ID is empty).',
    '',
    ...(emu.isv.enabled ? isvLines(emu) : sampleLines(rooms)),
    '',
    'Talk to it from another terminal:',
    '  npm run chat                                  interactive (":via stream", ":as admin", ":quit")',
    '  npm run chat -- "meeting 615902734"           one question, one answer',
    '',
    'For a real DingTalk app set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET (see README).',
  ]
  const width = Math.max(...lines.map((l) => l.length))
  return `${['┌'.padEnd(width + 3, '─'), ...lines.map((l) => `│ ${l}`), '└'.padEnd(width + 3, '─')].join('\n')}\n`
}

/** The sample meetings of an internal app's emulator. */
function sampleLines(rooms: Map<string, EmulatorMeeting[]>): string[] {
  return [
    'Sample meetings:',
    ...[...rooms].map(([code, ms]) => {
      const what =
        ms.length > 1
          ? `${ms.length} meetings (recurring)`
          : ms[0]?.forbidden
            ? 'the app may not read it (403)'
            : STATUS[ms[0]?.status ?? 0]
      return `  ${formatRoomCode(code).padEnd(13)} ${what.padEnd(30)} ${ms[0]?.title ?? ''}`
    }),
    `  ${formatRoomCode('999999999').padEnd(13)} does not exist`,
  ]
}

/** A third-party app (DINGTALK_APP_TYPE=isv): the orgs that installed it, and their meetings. */
function isvLines(emu: DingTalkEmulator): string[] {
  return [
    'A third-party (ISV) app: the emulator plays two orgs that installed it (npm run chat -- --org <corp id>):',
    ...[...emu.isv.orgs.values()].flatMap((org) => [
      `  ${org.corpId} "${org.name}" (admin ${org.admins?.[0] ?? 'none'})`,
      ...org.meetings.map(
        (m) =>
          `    ${formatRoomCode(m.roomCode).padEnd(13)} ${STATUS[m.status ?? 0].padEnd(14)} ${m.title ?? ''}`,
      ),
    ]),
  ]
}
