import type { Test } from 'tap'
import {
  robotMessage,
  SECRET,
  type StreamStack,
  signedHeaders,
  startStreamStack,
  waitFor,
} from '../helpers/index.js'

export interface Tracked {
  readonly msgId: string
  readonly session: string
  readonly conversationId: string
  readonly transport: 'http' | 'stream'
  /** The HTTP response body, for callbacks. */
  inline?: { msgtype?: string }
  /** Signatures sent with it: they must not reach the logs either. */
  sign?: string
}

let n = 0

/**
 * Fault-injection harness: a bot on both transports against the emulator, messages with their own
 * session webhook and conversation (so every reply can be traced back to its message), and one
 * check of the invariants every fault must keep.
 */
export class Harness {
  readonly sent: Tracked[] = []
  private constructor(readonly s: StreamStack) {}

  static async start(t: Test, opts: Parameters<typeof startStreamStack>[1] = {}): Promise<Harness> {
    const s = await startStreamStack(t, {
      ...opts,
      env: { DINGTALK_TRANSPORTS: 'stream,http', ...opts.env },
      tuning: { inlineDeadlineMs: 300, ...opts.tuning },
    })
    return new Harness(s)
  }

  private message(text: string) {
    n++
    const session = this.s.emu.newSessionWebhook()
    const p = robotMessage({ text, sessionWebhook: session, conversationId: `cidFault${n}==` })
    return { p, session: new URL(session).searchParams.get('session') as string }
  }

  async http(text: string): Promise<Tracked> {
    const { p, session } = this.message(text)
    const headers = signedHeaders()
    const tracked: Tracked = {
      msgId: p.msgId,
      session,
      conversationId: p.conversationId,
      transport: 'http',
      sign: headers.sign,
    }
    this.sent.push(tracked)
    const res = await this.s.post(p, headers)
    tracked.inline = (await res.json()) as { msgtype?: string }
    return tracked
  }

  async stream(text: string, opts: { waitAck?: boolean } = {}): Promise<Tracked> {
    const { p, session } = this.message(text)
    const tracked: Tracked = {
      msgId: p.msgId,
      session,
      conversationId: p.conversationId,
      transport: 'stream',
    }
    this.sent.push(tracked)
    const id = this.s.gw.push(p)
    if (opts.waitAck !== false) await this.s.gw.waitForAck(id)
    return tracked
  }

  handled(msgId: string): Array<Record<string, unknown>> {
    return this.s.capture.lines.filter((l) => l.msg === 'message handled' && l.msgId === msgId)
  }

  /** Replies that reached DingTalk for one message, whichever way. */
  replies(m: Tracked): unknown[] {
    const recorded = this.s.emu.replies.filter(
      (r) => r.session === m.session || (r.via === 'openapi' && r.conversationId === m.conversationId),
    )
    const inline = m.inline && m.inline.msgtype !== 'empty' ? [m.inline] : []
    return [...inline, ...recorded.map((r) => r.body)]
  }

  async settle(timeoutMs = 10_000): Promise<void> {
    await waitFor(
      () => this.sent.every((m) => this.handled(m.msgId).length > 0),
      timeoutMs,
      'every message handled',
    )
    await waitFor(() => this.s.app.bot.pending === 0, timeoutMs, 'nothing in flight')
  }

  /**
   * The invariants: every message got its answer or a logged failure with a reason; nothing was
   * answered twice; the bot is still up; the log holds no secret.
   */
  async check(t: Test, opts: { stopped?: boolean } = {}): Promise<void> {
    for (const m of this.sent) {
      const lines = this.handled(m.msgId)
      t.equal(lines.length, 1, `${m.transport} ${m.msgId}: handled once`)
      const outcome = lines[0]?.outcome
      const replies = this.replies(m)
      if (outcome === 'failed') {
        const why = this.s.capture.lines.find((l) => l.msg === 'reply not delivered' && l.msgId === m.msgId)
        t.ok(why?.reason, `${m.msgId}: the failure is logged with a reason`)
        t.equal(replies.length, 0, `${m.msgId}: failed means not delivered`)
      } else {
        t.equal(outcome, 'answered', `${m.msgId}: answered`)
        t.equal(replies.length, 1, `${m.msgId}: exactly one reply`)
      }
    }
    if (!opts.stopped) t.equal((await fetch(`${this.s.url}/healthz`)).status, 200, 'still up')
    const raw = this.s.capture.raw
    const secrets = [
      SECRET,
      ...this.s.emu.issuedTokens,
      ...this.sent.flatMap((m) => [m.session, m.sign ?? SECRET]),
    ]
    t.equal(secrets.filter((x) => raw.includes(x)).length, 0, 'no secret in the log')
  }

  text(m: Tracked): string {
    return JSON.stringify(this.replies(m)[0] ?? '')
  }
}
