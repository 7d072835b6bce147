import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Where the page is served: `${botUrl}/playground/`. */
export const PLAYGROUND_PATH = '/playground/'

/** `npm run build` puts the page here (scripts/build.mjs); the same path from src/ and dist/. */
export const DEFAULT_ROOT = fileURLToPath(new URL('../../dist/public/playground/', import.meta.url))

export interface PlaygroundOptions {
  /** The emulator's base URL: `/playground/api/*` is its control API, `/_emulator/*`. */
  readonly emulatorUrl: string
  /** The built page (index.html, app.js, app.css). */
  readonly root?: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
}

/** Nothing but the page's own files runs or loads: a title that holds `<script>` stays text twice over. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
}

/**
 * The control routes the page may use, by method and path under `/_emulator/`. Not `info` (it
 * hands out the app secret), not `stream/push` or `replies` (the terminal chat's).
 */
const ALLOWED: ReadonlyArray<readonly [string, RegExp]> = [
  ['GET', /^feed$/],
  ['POST', /^chat\/(send|redeliver|expire-sessions)$/],
  ['GET', /^faults$/],
  ['POST', /^faults$/],
  ['DELETE', /^faults$/],
  ['POST', /^clock\/advance$/],
  ['POST', /^meetings\/[^/]+\/(start|end|join|leave)$/],
  ['POST', /^events$/],
  ['POST', /^cards\/[^/]+\/press$/],
  ['POST', /^cards\/next-deliver$/],
  ['POST', /^webhook\/answers$/],
  ['POST', /^tokens\/revoke$/],
  ['POST', /^stream\/(drop|disconnect|silence|ping|refuse)$/],
]

const API_PREFIX = `${PLAYGROUND_PATH}api/`
/** Longer than a button press may take (the emulator gives up on the bot after 10 s). */
const PROXY_TIMEOUT_MS = 20_000

function allowed(method: string, path: string): boolean {
  if (/\.\.|%2e|%2f|\\/i.test(path)) return false
  return ALLOWED.some(([m, re]) => m === method && re.test(path))
}

/**
 * The browser playground (docs/playground.md), emulator mode only: the built page under
 * `/playground/`, and `/playground/api/*` passed through to the emulator's control API and its
 * event stream, so the page needs one origin and never sees the app secret.
 */
export function registerPlayground(server: FastifyInstance, opts: PlaygroundOptions): void {
  const root = opts.root ?? DEFAULT_ROOT
  const feeds = new Set<AbortController>()
  // A page's event stream would keep the server from closing, and so would the sockets a browser
  // opens ahead and never sends a request on: at this point of the shutdown (replies drained, see
  // app/lifecycle.ts) they all go, as the emulator's own server does (forceCloseConnections).
  server.addHook('preClose', async () => {
    for (const abort of feeds) abort.abort()
    server.server.closeAllConnections()
  })

  server.get('/playground', async (_req, reply) => reply.redirect(PLAYGROUND_PATH))
  server.get(PLAYGROUND_PATH, (_req, reply) => sendFile(reply, root, 'index.html'))
  server.get<{ Params: { file: string } }>(`${PLAYGROUND_PATH}:file`, (req, reply) =>
    sendFile(reply, root, req.params.file),
  )

  server.route({
    method: ['GET', 'POST', 'DELETE'],
    url: `${API_PREFIX}*`,
    handler: async (req, reply) => {
      const raw = req.raw.url ?? ''
      const [pathPart = '', query] = raw.slice(API_PREFIX.length).split('?', 2)
      if (!allowed(req.method, pathPart))
        return reply.code(404).send({ error: 'not_found', message: 'not a playground route' })
      const target = `${opts.emulatorUrl}/_emulator/${pathPart}${query ? `?${query}` : ''}`
      if (pathPart === 'feed') return streamFeed(req, reply, target, feeds)
      return forward(req, reply, target)
    },
  })
}

async function sendFile(reply: FastifyReply, root: string, name: string): Promise<FastifyReply> {
  const type = TYPES[name.slice(name.lastIndexOf('.'))]
  if (!/^[\w-]+(\.[\w-]+)*$/.test(name) || !type)
    return reply.code(404).send({ error: 'not_found', message: 'no such file' })
  let body: Buffer
  try {
    body = await readFile(join(root, name))
  } catch {
    if (name !== 'index.html') return reply.code(404).send({ error: 'not_found', message: 'no such file' })
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send('The playground is not built: run "npm run build" (npm start does it), then reload.')
  }
  return reply.headers(SECURITY_HEADERS).type(type).send(body)
}

async function forward(req: FastifyRequest, reply: FastifyReply, target: string): Promise<FastifyReply> {
  const hasBody = req.method !== 'GET' && req.body !== undefined
  let res: Response
  try {
    res = await fetch(target, {
      method: req.method,
      headers: hasBody ? { 'content-type': 'application/json' } : {},
      ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
      signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
    })
  } catch {
    return reply.code(502).send({ error: 'emulator_unreachable', message: 'the emulator does not answer' })
  }
  return reply
    .code(res.status)
    .type(res.headers.get('content-type') ?? 'application/json')
    .send(await res.text())
}

/** The emulator's event stream, passed through as it comes; ends when the page or the server goes. */
async function streamFeed(
  req: FastifyRequest,
  reply: FastifyReply,
  target: string,
  feeds: Set<AbortController>,
): Promise<void> {
  const abort = new AbortController()
  const last = req.headers['last-event-id']
  let res: Response
  try {
    res = await fetch(target, {
      headers: typeof last === 'string' ? { 'last-event-id': last } : {},
      signal: abort.signal,
    })
  } catch {
    return void reply
      .code(502)
      .send({ error: 'emulator_unreachable', message: 'the emulator does not answer' })
  }
  if (!res.ok || !res.body)
    return void reply
      .code(502)
      .send({ error: 'emulator_refused', message: `the emulator answered ${res.status}` })
  feeds.add(abort)
  reply.hijack()
  const out = reply.raw
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    // Never reused: the connection ends with the stream.
    connection: 'close',
  })
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream)
  // Taken now: once the response ends it lets go of its socket, which the page may still hold.
  const socket = out.socket
  const done = () => {
    feeds.delete(abort)
    abort.abort()
    if (!out.writableEnded) out.end()
    socket?.destroy()
  }
  body.on('error', done)
  body.on('end', done)
  abort.signal.addEventListener('abort', done)
  // The page went away (a ServerResponse closes with its connection; a request closes once read).
  out.on('close', done)
  body.pipe(out, { end: false })
}
