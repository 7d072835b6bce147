import { join } from 'node:path'
import t from 'tap'
import { emulatorBanner, start } from '../../src/app/runtime.js'
import { loadConfig } from '../../src/config.js'
import type { FeedEvent } from '../../src/emulator/feed-types.js'
import { LogTap } from '../../src/emulator/log-tap.js'
import { createLogger } from '../../src/logger.js'
import { tempDir } from '../helpers/process.js'
import { startPlayground } from './stack.js'

/*
 * The playground's server side without a browser: the page and the pass-through to the emulator
 * (src/playground/serve.ts), the emulator's event stream and the playground's control routes
 * (src/emulator/feed.ts, playground-routes.ts), against the bot as emulator mode runs it.
 */

/** Reads the event stream until `done` says so (or 8 s pass); answers the events and the raw text. */
async function feed(
  url: string,
  done: (events: FeedEvent[]) => boolean,
  headers: Record<string, string> = {},
): Promise<{ events: FeedEvent[]; raw: string; contentType: string | null }> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 8000)
  const res = await fetch(url, { signal: abort.signal, headers })
  const events: FeedEvent[] = []
  let raw = ''
  const decoder = new TextDecoder()
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      raw += decoder.decode(chunk, { stream: true })
      events.length = 0
      for (const block of raw.split('\n\n')) {
        const data = block.split('\n').find((l) => l.startsWith('data: '))
        if (data) events.push(JSON.parse(data.slice(6)) as FeedEvent)
      }
      if (done(events)) break
    }
  } catch {
    // Aborted by the timer: what came so far is the answer.
  } finally {
    clearTimeout(timer)
    abort.abort()
  }
  return { events, raw, contentType: res.headers.get('content-type') }
}

async function post(url: string, body: unknown = {}, method = 'POST') {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const member = { staffId: 'user0001', nick: 'Li Lei' }
type Log = Extract<FeedEvent, { type: 'log' }>
type Reply = Extract<FeedEvent, { type: 'reply' }>
const logsOf = (events: FeedEvent[], msgId: unknown) =>
  events.filter((e): e is Log => e.type === 'log' && e.line.kind === 'message' && e.line.msgId === msgId)

t.test('the page: served under /playground/, with a strict CSP; unknown files 404', async (t) => {
  const bot = await startPlayground(t)
  t.match(emulatorBanner(bot), `Playground (DingTalk's chat window in your browser): ${bot.url}/playground/`)
  const redirect = await fetch(`${bot.url}/playground`, { redirect: 'manual' })
  t.equal(redirect.status, 302)
  t.equal(redirect.headers.get('location'), '/playground/')
  const page = await fetch(`${bot.url}/playground/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), 'text/html')
  t.match(page.headers.get('content-security-policy'), "script-src 'self'")
  t.match(await page.text(), '<script type="module" src="app.js"></script>')
  const js = await fetch(`${bot.url}/playground/app.js`)
  t.equal(js.status, 200)
  t.match(js.headers.get('content-type'), 'text/javascript')
  for (const bad of ['nope.js', 'app.exe', '..%2F..%2Fpackage.json', '%2e%2e'])
    t.equal((await fetch(`${bot.url}/playground/${bad}`)).status, 404, bad)
})

t.test('the pass-through: only the playground routes; never info (the secret)', async (t) => {
  const bot = await startPlayground(t)
  const api = `${bot.url}/playground/api`
  t.equal((await fetch(`${api}/info`)).status, 404, 'info hands out the app secret: not passed')
  t.equal((await post(`${api}/stream/push`, { payload: {} })).status, 404)
  t.equal((await fetch(`${api}/replies`)).status, 404)
  t.equal((await post(`${api}/meetings/..%2Finfo/start`)).status, 404)
  t.equal((await fetch(`${api}/faults`)).status, 200)
  const refused = await post(`${api}/meetings/372615948/end`)
  t.equal(refused.status, 409, "the emulator's own refusal comes through")
  t.match(refused.body.message, 'not in progress')
  t.match((await post(`${api}/clock/advance`, { ms: 60_000 })).body, { now: Number, offsetMs: 60_000 })
})

t.test(
  'a message over HTTP: its reply, card and log line on the stream; no secret, no webhook URL',
  async (t) => {
    const bot = await startPlayground(t)
    const api = `${bot.url}/playground/api`
    const sent = await post(`${api}/chat/send`, {
      text: 'meeting 615902734',
      chat: 'group',
      via: 'http',
      user: member,
    })
    t.equal(sent.status, 200)
    const { msgId } = sent.body
    const { events, raw, contentType } = await feed(`${api}/feed`, (es) => logsOf(es, msgId).length > 0)
    t.match(contentType, 'text/event-stream')
    t.match(events[0], { type: 'message', msgId, text: 'meeting 615902734', mention: true, delivered: true })
    t.match(
      events.find((e) => e.type === 'card'),
      { card: { conversationId: 'cidEmulatorGroup0001==', data: { title: 'Sprint 43 retrospective' } } },
    )
    const [line] = logsOf(events, msgId)
    t.match(line?.line, { command: 'meeting', outcome: 'answered', path: 'card', transport: 'http' })
    t.match(line?.line.upstream, { 'conference.byRoomCode': 1, 'conference.info': 1, 'card.deliver': 1 })
    t.match(events.at(-1), { type: 'state' }, 'the state follows what was kept')
    t.notMatch(raw, bot.config.dingtalk.clientSecret, 'never the app secret')
    t.notMatch(raw, 'sendBySession', 'never a session webhook URL')
    t.notMatch(raw, /"session"/)

    // Reconnecting with the last id seen: only what came after it.
    const last = events.filter((e) => e.type !== 'state').at(-1)?.seq
    const again = await feed(`${api}/feed`, (es) => es.some((e) => e.type === 'state'), {
      'last-event-id': String(last),
    })
    t.same(
      again.events.map((e) => e.type),
      ['state'],
      'nothing repeated',
    )
  },
)

t.test('over Stream in a one-to-one chat, redelivered, and a group message without the @', async (t) => {
  const bot = await startPlayground(t)
  const api = `${bot.url}/playground/api`
  const sent = await post(`${api}/chat/send`, { text: 'help', chat: 'single', via: 'stream', user: member })
  t.equal(sent.status, 200)
  const { msgId } = sent.body
  await feed(`${api}/feed`, (es) => logsOf(es, msgId).length > 0)
  t.same((await post(`${api}/chat/redeliver`, { msgId })).body, { msgId, redelivered: true })
  // Answered already: the bot takes the copy without a word (it writes no line for it) and
  // answers nothing more; a message on its way when the copy comes would say "duplicate".
  await new Promise((r) => setTimeout(r, 1000))
  const { events } = await feed(`${api}/feed`, (es) => es.some((e) => e.type === 'redelivered'))
  const replies = events.filter((e): e is Reply => e.type === 'reply')
  t.equal(replies.length, 1, 'answered once')
  t.match(replies[0], { msgId, via: 'webhook', conversationId: 'cidEmulatorSingleuser0001==' })
  t.same(
    logsOf(events, msgId).map((e) => e.line.outcome),
    ['answered'],
  )
  t.ok(events.some((e) => e.type === 'redelivered' && e.msgId === msgId))
  t.equal((await post(`${api}/chat/redeliver`, { msgId: 'nope' })).status, 404)

  const quiet = await post(`${api}/chat/send`, {
    text: 'meeting 615902734',
    chat: 'group',
    via: 'http',
    user: member,
    mention: false,
  })
  t.same(quiet.body, { msgId: quiet.body.msgId, delivered: false }, 'DingTalk hands the bot only @-mentions')
  t.notOk(
    bot.lines.some((l) => l.msgId === quiet.body.msgId),
    'the bot never saw it',
  )
})

t.test('bad sends are refused with a reason', async (t) => {
  const bot = await startPlayground(t, { DINGTALK_TRANSPORTS: 'http' })
  const api = `${bot.url}/playground/api`
  const ok = { text: 'help', chat: 'group', via: 'http', user: member }
  for (const [body, why] of [
    [{ ...ok, text: ' ' }, /text must be/],
    [{ ...ok, chat: 'room' }, /chat must be/],
    [{ ...ok, via: 'smoke' }, /via must be/],
    [{ ...ok, mention: 'yes' }, /mention must be/],
    [{ ...ok, user: { staffId: 'a b' } }, /staffId/],
    [{ ...ok, user: { ...member, isAdmin: 'yes' } }, /isAdmin/],
    [{ ...ok, user: { ...member, nick: 5 } }, /nick/],
    [{ ...ok, user: { ...member, corpId: '' } }, /corpId/],
    [{ ...ok, user: { ...member, corpId: 'dingcorpOther' } }, /no orgs|ISV/],
  ] as const) {
    const res = await post(`${api}/chat/send`, body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.match(res.body.message, why)
  }
  const off = await post(`${api}/chat/send`, { ...ok, via: 'stream' })
  t.equal(off.status, 409)
  t.match(off.body, { error: 'transport_off' })
})

t.test(
  'the fault knobs: webhook errcodes, expired sessions, tokens, the stream, the fault list',
  async (t) => {
    const bot = await startPlayground(t)
    const api = `${bot.url}/playground/api`
    const emu = bot.emulator
    if (!emu) throw new Error('no emulator')
    t.same((await post(`${api}/webhook/answers`, { errcodes: [-1] })).body, { webhookAnswers: [-1] })
    t.equal((await post(`${api}/webhook/answers`, { errcodes: ['x'] })).status, 400)
    t.same(
      (await post(`${api}/faults`, { target: 'conference.info', fault: { status: 500, times: 2 } })).body,
      {
        ok: true,
      },
    )
    t.match((await (await fetch(`${api}/faults`)).json()) as unknown, {
      faults: [{ target: 'conference.info', fault: { status: 500, times: 2 } }],
      webhookAnswers: [-1],
    })
    t.same((await post(`${api}/faults`, {}, 'DELETE')).body, { ok: true })
    t.same(emu.webhookAnswers, [], 'cleared with the faults')

    const first = await post(`${api}/chat/send`, { text: 'help', chat: 'group', via: 'stream', user: member })
    await feed(`${api}/feed`, (es) => logsOf(es, first.body.msgId).length > 0)
    t.same((await post(`${api}/chat/expire-sessions`)).body, { expired: 1 })
    // The session webhook answers "no such session": the answer goes by the robot OpenAPI, still an answer.
    await post(`${api}/webhook/answers`, { errcodes: [300001] })
    const second = await post(`${api}/chat/send`, {
      text: 'help',
      chat: 'group',
      via: 'stream',
      user: member,
    })
    t.equal(second.status, 200)
    const { events } = await feed(`${api}/feed`, (es) => logsOf(es, second.body.msgId).length > 0)
    t.match(
      events.find((e) => e.type === 'reply' && e.via === 'openapi'),
      { msgId: second.body.msgId, conversationId: 'cidEmulatorGroup0001==' },
      'the robot OpenAPI answered, and it is the answer',
    )
    t.match(logsOf(events, second.body.msgId)[0]?.line, { path: 'openapi', upstream: { webhook: 1 } })

    t.same((await post(`${api}/tokens/revoke`)).body, { ok: true })
    t.match((await post(`${api}/stream/ping`)).body, { messageId: String })
    t.equal((await post(`${api}/stream/refuse`, { n: 0 })).status, 400)
    t.same((await post(`${api}/stream/refuse`, { n: 2 })).body, { refusing: 2 })
    t.match((await post(`${api}/stream/disconnect`)).body, { messageId: String })
    t.same((await post(`${api}/stream/silence`)).body, { ok: true })
    t.match((await post(`${api}/stream/drop`)).body, { dropped: Number })
    t.equal((await post(`${api}/stream/explode`)).status, 404)
  },
)

t.test('with real credentials there is no playground', async (t) => {
  const dir = tempDir(t, 'meeting-bot-playground-real-')
  const config = loadConfig({
    DINGTALK_CLIENT_ID: 'dingrealapp',
    DINGTALK_CLIENT_SECRET: 'real-secret-for-this-test',
    DINGTALK_TRANSPORTS: 'http',
    DINGTALK_API_BASE: 'http://127.0.0.1:9',
    DINGTALK_OAPI_BASE: 'http://127.0.0.1:9',
    PORT: '0',
    DATA_DIR: join(dir, 'data'),
  })
  const running = await start(config, createLogger('silent'), { logTap: new LogTap() })
  t.teardown(() => running.stop())
  t.equal(running.emulator, undefined)
  for (const path of ['/playground', '/playground/', '/playground/app.js', '/playground/api/feed'])
    t.equal((await fetch(`${running.url}${path}`)).status, 404, path)
})

t.test('not built: the page says how to build it; the bot stops with a page still following', async (t) => {
  const bot = await startPlayground(t)
  const dir = tempDir(t, 'meeting-bot-playground-empty-')
  // The same bot code, pointed at a folder without the page.
  const { registerPlayground } = await import('../../src/playground/serve.js')
  const Fastify = (await import('fastify')).default
  const server = Fastify()
  registerPlayground(server, { emulatorUrl: bot.emulator?.baseUrl ?? '', root: dir })
  t.teardown(() => server.close())
  const missing = await server.inject({ url: '/playground/' })
  t.equal(missing.statusCode, 503)
  t.match(missing.body, 'npm run build')

  const res = await fetch(`${bot.url}/playground/api/feed`)
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  const started = Date.now()
  await bot.stop()
  t.ok(Date.now() - started < 5000, 'the open stream did not hold the server up')
  const rest = await reader.read().catch(() => ({ done: true }))
  t.ok(rest.done, 'the stream ended')
})

t.test('LogTap: lines before it is connected, and lines that are not JSON, go nowhere', async (t) => {
  const tap = new LogTap()
  const seen: unknown[] = []
  tap.write('{"msg":"before"}\n')
  tap.connect((l) => seen.push(l))
  tap.write('not json\n{"msg":"one"}\n{broken\n')
  t.same(seen, [{ msg: 'one' }])
})
