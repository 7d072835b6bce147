/**
 * The HTTP baseline: a bare Fastify route at the callback's path that parses the same JSON body
 * and returns a fixed reply (the bot's own answer, captured by the bench, so both send the same
 * bytes). No signature check, no validation, no store: what the bot costs on top of this is its own.
 */
import Fastify from 'fastify'

const reply = process.env.BENCH_FIXED_REPLY ?? '{"msgtype":"empty"}'
const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.post<{ Body: { msgId?: string } }>('/dingtalk/callback', async (req, res) => {
  if (typeof req.body?.msgId !== 'string') return res.code(400).send({ error: 'bad_request' })
  return res.type('application/json; charset=utf-8').send(reply)
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void app.close().finally(() => process.exit(0))
  })
}
