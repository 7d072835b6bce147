import { randomBytes } from 'node:crypto'
import { CommandRegistry } from '../../../src/core/commands.js'
import { LocalFlight } from '../../../src/core/flight.js'
import { normalizeText } from '../../../src/core/text.js'
import type { DeliveryOptions } from '../../../src/delivery/delivery.js'
import { NoticeSender } from '../../../src/delivery/notice.js'
import { Pacer } from '../../../src/delivery/pacer.js'
import { RobotSender } from '../../../src/delivery/robot-api.js'
import { WebhookSender } from '../../../src/delivery/webhook.js'
import { DingTalkApi } from '../../../src/dingtalk/api.js'
import { ConferenceClient } from '../../../src/dingtalk/conference.js'
import { DingTalkHttp } from '../../../src/dingtalk/http.js'
import { toInboundMessage } from '../../../src/dingtalk/robot-message.js'
import { TokenProvider } from '../../../src/dingtalk/token.js'
import { DingTalkEmulator } from '../../../src/emulator/emulator.js'
import { type EmulatorMeeting, sampleMeetings } from '../../../src/emulator/meetings.js'
import type { RecordedReply } from '../../../src/emulator/types.js'
import { parseMeetingRef } from '../../../src/features/meeting/reference.js'
import { MeetingService } from '../../../src/features/meeting/service.js'
import {
  DEFAULT_WATCH_SETTINGS,
  type WatchSettings,
  watchFeature,
} from '../../../src/features/watch/index.js'
import { MemoryStore } from '../../../src/store/memory.js'
import { Sealer } from '../../../src/store/sealer.js'
import type { Store } from '../../../src/store/store.js'
import {
  CLIENT_ID,
  captureLogger,
  FAST,
  robotMessage,
  SECRET,
  type Stack,
  signedHeaders,
} from '../../helpers/index.js'

/** A group chat of its own: its id, and messages from it with a live session webhook. */
export function chat(emu: DingTalkEmulator, over: Record<string, unknown> = {}) {
  const conversationId = `cidWatch${randomBytes(6).toString('hex')}==`
  const sessionWebhook = emu.newSessionWebhook()
  const session = new URL(sessionWebhook).searchParams.get('session') ?? ''
  return {
    conversationId,
    session,
    message: (text: string, more: Record<string, unknown> = {}) =>
      robotMessage({ text, conversationId, sessionWebhook, ...over, ...more }),
  }
}

export type Chat = ReturnType<typeof chat>

/** What the bot answered, as text (a markdown body, a text, an actionCard's text). */
export async function ask(
  s: Pick<Stack, 'post'>,
  c: Chat,
  text: string,
  more: Record<string, unknown> = {},
): Promise<string> {
  const res = await s.post(c.message(text, more), signedHeaders(SECRET))
  return textOf((await res.json()) as Record<string, unknown>)
}

export function textOf(body: Record<string, unknown> | undefined): string {
  const b = (body ?? {}) as {
    msgtype?: string
    text?: { content?: string }
    markdown?: { text?: string }
    actionCard?: { text?: string }
    msgKey?: string
    msgParam?: { content?: string; text?: string }
  }
  return (
    b.markdown?.text ?? b.text?.content ?? b.actionCard?.text ?? b.msgParam?.text ?? b.msgParam?.content ?? ''
  )
}

/** Every message the bot posted to the chat on its own (by its session webhook or the robot OpenAPI). */
export function posted(emu: DingTalkEmulator, c: Chat): RecordedReply[] {
  return emu.replies.filter((r) => r.session === c.session || r.conversationId === c.conversationId)
}

export const postedText = (emu: DingTalkEmulator, c: Chat) => posted(emu, c).map((r) => textOf(r.body))

/** Notices of one kind, by their heading. */
export function noticesOf(emu: DingTalkEmulator, c: Chat, heading: RegExp): string[] {
  return postedText(emu, c).filter((text) => heading.test(text))
}

/**
 * The watch feature on its own, against a real emulator: its commands run with a context built
 * here and its event handlers are called directly, as the core's event path calls them. Polling
 * is effectively off unless `settings` says otherwise.
 */
export async function watchHarness(
  t: { teardown(fn: () => unknown): void },
  opts: { meetings?: EmulatorMeeting[]; settings?: Partial<WatchSettings>; store?: Store } = {},
) {
  const emu = await DingTalkEmulator.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    meetings: opts.meetings ?? sampleMeetings(Date.now()),
  })
  const { log, capture } = captureLogger()
  const http = new DingTalkHttp({ baseUrl: emu.baseUrl, timeoutMs: 1000 })
  const tokens = new TokenProvider({ http, clientId: CLIENT_ID, clientSecret: SECRET })
  const api = new DingTalkApi(http, tokens, { maxAttempts: 2, throttleBudgetMs: 100, baseDelayMs: 5 }, log)
  const conferences = new ConferenceClient(api)
  const store = opts.store ?? new MemoryStore()
  const meetings = new MeetingService(conferences, store, new LocalFlight())
  const notices = new NoticeSender({
    webhook: new WebhookSender(emu.baseUrl, 1000),
    robot: new RobotSender(api, CLIENT_ID),
    pacer: new Pacer(),
    box: new Sealer(SECRET, CLIENT_ID, 'notice'),
    opts: FAST.delivery as DeliveryOptions,
    clock: Date.now,
  })
  // The feature's clock: real time plus what `advance` added (the emulator keeps its own).
  let offset = 0
  const clock = () => Date.now() + offset
  const feature = watchFeature({
    store,
    conferences,
    meetings: { parse: parseMeetingRef, lookup: (ref) => meetings.lookup(ref) },
    notices,
    settings: { ...DEFAULT_WATCH_SETTINGS, pollMs: 3_600_000, ...opts.settings },
    clock,
    log,
    retryBaseMs: 20,
  })
  t.teardown(async () => {
    await feature.engine.stop()
    await emu.close()
  })
  const registry = new CommandRegistry(feature.commands ?? [])
  /** Runs a command as the core would: the command word, its arguments, the chat's language. */
  const run = async (c: Chat, text: string, more: Record<string, unknown> = {}): Promise<string> => {
    const msg = toInboundMessage(c.message(text, more), 'http', clock())
    const match = registry.match(normalizeText(text))
    if (match.kind !== 'command') throw new Error(`not a watch command: ${text}`)
    const reply = await match.command.run({
      msg,
      args: match.args,
      locale: match.locale ?? 'en',
      timeZone: 'Asia/Shanghai',
      now: clock(),
      log,
      mention: undefined,
      isAdmin: msg.sender.isAdmin,
      registry,
    })
    return textOf(reply as unknown as Record<string, unknown>)
  }
  let seq = 0
  /** Calls the feature's handler for `type` with an EventContext, as the core's event path does. */
  const event = async (type: string, data: unknown, id = `evt${++seq}`) => {
    const handler = feature.events?.[type]
    if (!handler) throw new Error(`no handler for ${type}`)
    const now = Date.now()
    await handler({
      event: { id, type, corpId: 'dingcorp', bornAt: now, receivedAt: now, transport: 'stream', data },
      log,
      now,
    })
  }
  const advance = (ms: number) => {
    offset += ms
  }
  return { emu, store, feature, run, event, capture, log, advance }
}
