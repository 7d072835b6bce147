import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RobotMessagePayload } from '../../src/dingtalk/robot-message.js'
import { DingTalkEmulator } from '../../src/emulator/emulator.js'
import type { RecordedReply } from '../../src/emulator/types.js'
import { CLIENT_ID, fixtureMeetings, robotMessage, SECRET, signedHeaders, waitFor } from '../helpers/index.js'
import { type BotProcess, startReplicaOnPort } from '../helpers/process.js'
import { freePort } from '../helpers/redis.js'
import { sessionOf } from '../helpers/replicas.js'

type Bot = Omit<BotProcess, 'emulatorUrl'>

interface Sent {
  readonly payload: RobotMessagePayload
  readonly via: 'stream' | 'http'
  readonly sentAt: number
  /** The first push's frame id (stream). */
  messageId?: string
  /** The HTTP response said it has it: 200 (an inline answer, or `empty`). */
  httpTaken?: boolean
  inlineAnswer?: boolean
}

/** The chat a reply went to: its session webhook, or (robot OpenAPI) its conversation. */
function chatOf(r: RecordedReply): string {
  return r.via === 'openapi' ? `cid:${r.conversationId}` : `session:${r.session}`
}

/** Where `s`'s answer can go: its session webhook, or its conversation by the OpenAPI. */
function chatsOf(s: Sent): string[] {
  return [`session:${sessionOf(s.payload)}`, `cid:${s.payload.conversationId}`]
}

/** One setting confirmed right before a kill, to find again after it. */
interface Confirmed {
  readonly conversationId: string
  readonly text: string
}

/**
 * Plays DingTalk to the real entry point across kills: one emulator for the whole run (it keeps
 * the replies, re-pushes unacked frames to whichever bot connects next), one data directory (or
 * Redis prefix), a bot process started, loaded, SIGKILLed, started again. Counts what DingTalk
 * handed over (a frame acked, a callback answered 200) and how often each was answered.
 */
export class CrashRun {
  readonly sent: Sent[] = []
  readonly confirmed: Confirmed[] = []
  /** Messages handed over and not answered yet at each kill. */
  readonly inFlightAtKills: number[] = []
  readonly killedAt: number[] = []
  private bot: Bot | undefined
  /** Every bot process of the run, for their logs. */
  readonly bots: Bot[] = []
  /** Each bot's Stream connection, by the bot's index in `bots` (for a lost message's story). */
  readonly connections: string[] = []
  private loading = false
  private retries: RobotMessagePayload[] = []
  /**
   * Replies per chat, over the emulator's first `counted` replies: by session webhook, and by
   * conversation for the robot OpenAPI's (the bot's path when a webhook fails). Every message
   * of the run is sent in a chat of its own, so a reply in its chat is its answer.
   */
  private readonly repliesByChat = new Map<string, number>()
  private counted = 0

  private constructor(
    private readonly t: { teardown(fn: () => unknown): void },
    readonly emu: DingTalkEmulator,
    private readonly env: Record<string, string>,
  ) {}

  static async start(
    t: { teardown(fn: () => unknown): void },
    env: Record<string, string>,
  ): Promise<CrashRun> {
    const emu = await DingTalkEmulator.start({
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      meetings: fixtureMeetings(),
      stream: { redeliverAfterMs: 2000, maxRedeliveries: 20 },
    })
    t.teardown(() => emu.close())
    const run = new CrashRun(t, emu, {
      DINGTALK_CLIENT_ID: CLIENT_ID,
      DINGTALK_CLIENT_SECRET: SECRET,
      DINGTALK_API_BASE: emu.baseUrl,
      DINGTALK_OAPI_BASE: emu.baseUrl,
      DINGTALK_TRANSPORTS: 'stream,http',
      BOT_USER_RATE_LIMIT: '10000',
      DINGTALK_API_QPS: '1000',
      // One line per message at 150 messages a second is a pipe the test process must drain; a
      // bot blocked on its stdout holds answers it has sent, undone: quiet, as a service ships.
      LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? 'warn',
      ...env,
    })
    // DingTalk's lookups take what they take from a data centre (a room list and a conference:
    // several hundred ms), so messages are in flight at a kill, one in seven beyond the inline
    // deadline (kept before "empty").
    for (let i = 0; i < 10_000; i++) {
      emu.fail('conference.byRoomCode', { delayMs: i % 7 === 0 ? 1700 : 300 + (i % 5) * 150 })
    }
    // A session webhook that takes this long to answer widens the duplicate window: an answer
    // DingTalk took but whose "done" the bot had not committed when it died (docs/reliability.md).
    const webhookDelayMs = Number(process.env.CRASH_WEBHOOK_DELAY_MS ?? 0)
    if (webhookDelayMs > 0) emu.fail('webhook', { delayMs: webhookDelayMs, times: 1_000_000 })
    return run
  }

  /** Starts the bot and waits until both transports take messages. */
  async startBot(): Promise<void> {
    const before = new Set(this.emu.stream.liveConnections())
    this.bot = await startReplicaOnPort(this.t, this.env, await freePort(), { timeoutMs: 30_000 })
    this.bots.push(this.bot)
    await waitFor(
      () => this.emu.stream.liveConnections().some((c) => !before.has(c)),
      15_000,
      'the bot connected its stream',
    )
    this.connections.push(this.emu.stream.liveConnections().find((c) => !before.has(c)) ?? '?')
    const retry = this.retries
    this.retries = []
    for (const p of retry) void this.callback(p)
  }

  /** Sends questions at a steady rate, half by Stream, half by HTTP, until `stopLoad`. */
  startLoad(perSecond = 60): void {
    this.loading = true
    void (async () => {
      let n = 0
      while (this.loading) {
        this.send(n++ % 2 === 0 ? 'stream' : 'http')
        await sleep(1000 / perSecond)
      }
    })()
  }

  stopLoad(): void {
    this.loading = false
  }

  /** An admin sets the language of a fresh chat; resolves on the confirmation (the HTTP answer). */
  async confirmSetting(): Promise<void> {
    const conversationId = `cidlang${randomBytes(6).toString('hex')}`
    const payload = robotMessage({ text: '/lang en', isAdmin: true, conversationId })
    const body = (await (
      await fetch(`${this.botUrl}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(),
        body: JSON.stringify(payload),
      })
    ).json()) as { text?: { content?: string } }
    const text = body.text?.content ?? ''
    if (!text.includes('now in English')) throw new Error(`no confirmation: ${JSON.stringify(body)}`)
    this.confirmed.push({ conversationId, text })
  }

  /** SIGKILL, and what was handed over and not answered at that moment. */
  async kill(): Promise<void> {
    const bot = this.bot
    if (!bot) return
    bot.proc.kill('SIGKILL')
    this.killedAt.push(Date.now())
    this.inFlightAtKills.push(this.handed().filter((s) => this.answers(s) === 0).length)
    await bot.exited
    this.bot = undefined
  }

  async stopBot(): Promise<void> {
    await this.bot?.stop()
    this.bot = undefined
  }

  /**
   * Waits until every message handed over has an answer, and every frame pushed was acked (or the
   * time is up). A frame the killed bot never acked is still DingTalk's: pushed again, it is
   * handed over to the last bot only then, possibly after all the others were answered; counted
   * before its answer could come, it would look lost.
   */
  async settle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const owed = () => this.unacked().length > 0 || this.handed().some((s) => this.answers(s) === 0)
    while (owed() && Date.now() < deadline) await sleep(100)
    // Room for a second answer to show up, if there were one.
    await sleep(500)
  }

  /** What DingTalk would count as delivered to the bot: an acked frame, a 200 callback. */
  handed(): Sent[] {
    return this.sent.filter((s) =>
      s.via === 'http'
        ? s.httpTaken === true
        : s.messageId !== undefined && this.emu.stream.ackFor(s.messageId) !== undefined,
    )
  }

  /** The emulator's replies in `s`'s chat (a scan: for the report, not while the bot runs). */
  repliesTo(s: Sent): RecordedReply[] {
    const chats = chatsOf(s)
    return this.emu.replies.filter((r) => chats.includes(chatOf(r)))
  }

  /** Stream messages DingTalk still holds: pushed, no ack yet (it pushes them again). */
  unacked(): Sent[] {
    return this.sent.filter(
      (s) => s.messageId !== undefined && this.emu.stream.ackFor(s.messageId) === undefined,
    )
  }

  answers(s: Sent): number {
    // Counted as the emulator records them: a scan of every reply per message would block this
    // process (and so the emulator's answers to the bot) for tens of ms at each kill.
    const replies = this.emu.replies
    if (replies.length < this.counted) {
      this.repliesByChat.clear()
      this.counted = 0
    }
    for (; this.counted < replies.length; this.counted++) {
      const chat = chatOf(replies[this.counted] as RecordedReply)
      this.repliesByChat.set(chat, (this.repliesByChat.get(chat) ?? 0) + 1)
    }
    const inChat = chatsOf(s).reduce((n, chat) => n + (this.repliesByChat.get(chat) ?? 0), 0)
    return (s.inlineAnswer ? 1 : 0) + inChat
  }

  /**
   * The chat language a confirmed chat answers in now. The lookup may outlast the inline deadline
   * (one in seven does here): then the answer comes by the session webhook, so read it there.
   */
  async languageOf(conversationId: string): Promise<string> {
    const payload = robotMessage({
      text: 'm 615902734',
      conversationId,
      sessionWebhook: this.emu.newSessionWebhook(),
    })
    const session = sessionOf(payload)
    const body = (await (
      await fetch(`${this.botUrl}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(),
        body: JSON.stringify(payload),
      })
    ).json()) as { msgtype?: string }
    let answer: unknown = body
    if (body.msgtype === 'empty') {
      await waitFor(() => this.emu.replies.some((r) => r.session === session), 10_000, 'the webhook answer')
      answer = this.emu.replies.find((r) => r.session === session)?.body
    }
    const text = JSON.stringify(answer)
    return text.includes('In progress') ? 'en' : text.includes('进行中') ? 'zh-CN' : `unknown: ${text}`
  }

  private get botUrl(): string {
    if (!this.bot) throw new Error('no bot running')
    return this.bot.botUrl
  }

  private send(via: 'stream' | 'http'): void {
    if (!this.bot) return
    const payload = robotMessage({
      text: `meeting ${100_000_000 + this.sent.length}`,
      conversationId: `cidcrash${this.sent.length}`,
      sessionWebhook: this.emu.newSessionWebhook(),
    })
    const sent: Sent = { payload, via, sentAt: Date.now() }
    this.sent.push(sent)
    if (via === 'stream') {
      try {
        sent.messageId = this.emu.stream.push(payload)
      } catch {
        // No live connection this very moment: DingTalk would hold it; send it over HTTP instead.
        this.sent.pop()
      }
      return
    }
    void this.callback(payload, sent)
  }

  /** A signed callback; no response (the bot died) or 503: DingTalk tries again later. */
  private async callback(payload: RobotMessagePayload, sent?: Sent): Promise<void> {
    const record = sent ?? this.sent.find((s) => s.payload === payload)
    try {
      const res = await fetch(`${this.botUrl}/dingtalk/callback`, {
        method: 'POST',
        headers: signedHeaders(),
        body: JSON.stringify(payload),
      })
      if (res.status !== 200) {
        this.retries.push(payload)
        return
      }
      const body = (await res.json()) as { msgtype?: string }
      if (record) {
        record.httpTaken = true
        record.inlineAnswer = body.msgtype !== 'empty'
      }
    } catch {
      this.retries.push(payload)
    }
  }
}
