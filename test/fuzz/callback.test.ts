import fc from 'fast-check'
import t from 'tap'
import { signCallback } from '../../src/dingtalk/signature.js'
import { robotMessage, SECRET, startStack, waitFor } from '../helpers/index.js'
import { RUNS, SEED } from './runs.js'

const MUTATIONS = ['none', 'drop', 'retype', 'extra', 'null-text', 'huge-text'] as const
const FIELDS = [
  'msgId',
  'msgtype',
  'conversationId',
  'conversationType',
  'sessionWebhook',
  'senderId',
  'text',
  'content',
  'createAt',
  'isAdmin',
]

t.test(
  'POST /dingtalk/callback: random headers and bodies never 5xx, never crash, never answer unsigned',
  async (t) => {
    const s = await startStack(t, {
      tuning: { inlineDeadlineMs: 50, pacing: { limit: 10_000, windowMs: 60_000, maxWaitMs: 60_000 } },
    })
    const unsignedSessions = new Set<string>()
    const unsignedIds = new Set<string>()
    const statuses = new Map<number, number>()

    const request = fc.record({
      // Half the requests signed properly, so the body fuzzing reaches the parser and the bot.
      sign: fc.oneof(
        { arbitrary: fc.constant('valid' as const), weight: 6 },
        { arbitrary: fc.constantFrom('missing', 'random', 'wrong-secret', 'stale', 'empty'), weight: 5 },
      ),
      timestamp: fc.oneof(
        { arbitrary: fc.constant('now' as const), weight: 8 },
        { arbitrary: fc.constantFrom('garbage', 'missing', 'far-future'), weight: 2 },
      ),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
      body: fc.oneof(
        fc.record({
          mutation: fc.constantFrom(...MUTATIONS),
          field: fc.constantFrom(...FIELDS),
          value: fc.jsonValue(),
          text: fc.string({ maxLength: 60 }),
        }),
        fc.jsonValue().map((v) => ({ raw: JSON.stringify(v) })),
        fc.string({ maxLength: 200 }).map((raw) => ({ raw })),
      ),
    })

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const session = s.emu.newSessionWebhook()
        let body: string
        let msgId: string | undefined
        if ('raw' in r.body) {
          body = r.body.raw
        } else {
          const m: Record<string, unknown> = {
            ...robotMessage({ text: r.body.text, sessionWebhook: session }),
          }
          msgId = m.msgId as string
          const { mutation, field, value } = r.body
          if (mutation === 'drop') delete m[field]
          if (mutation === 'retype') m[field] = value
          if (mutation === 'extra') m[`x_${field}`] = value
          if (mutation === 'null-text') m.text = null
          if (mutation === 'huge-text') m.text = { content: 'x'.repeat(70_000) }
          body = JSON.stringify(m)
        }
        const now = Date.now()
        const ts =
          r.timestamp === 'now'
            ? String(now)
            : r.timestamp === 'far-future'
              ? String(now + 7_200_000)
              : r.timestamp === 'garbage'
                ? 'yesterday'
                : undefined
        const headers: Record<string, string> = {}
        if (r.contentType) headers['content-type'] = r.contentType
        if (ts !== undefined) headers.timestamp = ts
        const signed = r.sign === 'valid' && r.timestamp === 'now'
        if (r.sign === 'valid' && ts !== undefined) headers.sign = signCallback(ts, SECRET)
        if (r.sign === 'random') headers.sign = Buffer.from(String(Math.random())).toString('base64')
        if (r.sign === 'wrong-secret' && ts !== undefined) headers.sign = signCallback(ts, 'nope')
        if (r.sign === 'stale') {
          headers.timestamp = String(now - 3_700_000)
          headers.sign = signCallback(headers.timestamp, SECRET)
        }
        if (r.sign === 'empty') headers.sign = ''
        if (!signed) {
          unsignedSessions.add(new URL(session).searchParams.get('session') as string)
          if (msgId) unsignedIds.add(msgId)
        }
        const res = await s.post(body, headers)
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        await res.arrayBuffer()
        if (res.status >= 500) return false
        if (!signed && res.status !== 401) return false
        return true
      }),
      { numRuns: RUNS * 2, seed: SEED },
    )
    // Anything signed and valid may still be answering through the webhook: let it settle.
    await new Promise((r) => setTimeout(r, 300))
    t.ok(
      (statuses.get(401) ?? 0) > 0 && [...statuses.keys()].some((k) => k !== 401),
      `a mix of outcomes: ${JSON.stringify([...statuses])}`,
    )
    t.equal([...statuses.keys()].filter((k) => k >= 500).length, 0, 'never a 5xx')
    t.equal(
      s.emu.replies.filter((r) => r.session && unsignedSessions.has(r.session)).length,
      0,
      'no reply for an unsigned request',
    )
    t.equal(
      s.capture.lines.filter((l) => l.msg === 'message handled' && unsignedIds.has(l.msgId as string)).length,
      0,
      'nothing handled',
    )
    const ok = await s.post(robotMessage({ text: 'help', sessionWebhook: s.emu.newSessionWebhook() }))
    t.match(await ok.json(), { msgtype: 'markdown' }, 'still answering afterwards')
    await waitFor(() => s.app.bot.pending === 0)
  },
)
