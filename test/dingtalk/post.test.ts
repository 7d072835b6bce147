import { createServer } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { Agent } from 'undici'
import { fetchPost, type JsonPost, PostFailedError, requestPost } from '../../src/dingtalk/post.js'

/** A loopback server: `/echo` answers what it got, `/slow` answers after 400 ms, `/teapot` 418. */
async function server(t: { teardown(fn: () => unknown): void }) {
  const app = Fastify()
  const seen: Array<{ type: string | undefined; body: unknown }> = []
  app.post('/echo', async (req) => {
    seen.push({ type: req.headers['content-type'], body: req.body })
    return { errcode: 0, got: req.body }
  })
  app.post('/slow', async () => {
    await new Promise((r) => setTimeout(r, 400))
    return { errcode: 0 }
  })
  app.post('/teapot', async (_req, reply) => reply.code(418).send('short and stout'))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as { port: number }
  return { url: (path: string) => new URL(`http://127.0.0.1:${port}${path}`), seen }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

const agent = new Agent()
t.teardown(() => agent.close())
const posts: Array<[string, JsonPost]> = [
  ['requestPost (global dispatcher)', requestPost()],
  ['requestPost (own dispatcher)', requestPost(agent)],
  ['fetchPost', fetchPost(globalThis.fetch)],
]

for (const [name, post] of posts) {
  t.test(name, async (t) => {
    const s = await server(t)
    const ok = await post(
      s.url('/echo'),
      JSON.stringify({ msgtype: 'text', text: { content: '你好' } }),
      2000,
    )
    t.equal(ok.status, 200)
    t.same(JSON.parse(ok.text), { errcode: 0, got: { msgtype: 'text', text: { content: '你好' } } })
    t.same(s.seen, [{ type: 'application/json', body: { msgtype: 'text', text: { content: '你好' } } }])

    const teapot = await post(s.url('/teapot'), '{}', 2000)
    t.same(teapot, { status: 418, text: 'short and stout' }, 'a non-2xx answer is an answer')

    const started = performance.now()
    const slow = await post(s.url('/slow'), '{}', 100).catch((e: unknown) => e)
    t.type(slow, PostFailedError)
    t.equal((slow as PostFailedError).reason, 'timeout')
    t.ok(performance.now() - started < 380, 'gives up at the timeout, not when the server answers')

    const port = await closedPort()
    const refused = await post(new URL(`http://127.0.0.1:${port}/x`), '{}', 1000).catch((e: unknown) => e)
    t.type(refused, PostFailedError)
    t.equal((refused as PostFailedError).reason, 'network error')
    t.notMatch((refused as Error).message, String(port), 'the message names no URL')
  })
}
