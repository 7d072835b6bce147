import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify'
import type { Logger } from './logger.js'
import type { Readiness } from './readiness.js'

/** The HTTP server with its operational routes. Never listens: `main` does. */
export function buildServer(log: Logger, readiness: Readiness): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per message comes from the bot; per-request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    // Behind a load balancer the client address is in X-Forwarded-For.
    trustProxy: true,
    return503OnClosing: true,
  })
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
    if (status >= 500) {
      req.log.error({ err, url: req.url }, 'request failed')
      return reply.code(status).send({ error: 'internal_error', message: 'internal error' })
    }
    req.log.info({ status, code: err.code, url: req.url }, 'request rejected')
    return reply.code(status).send({ error: err.code ?? 'bad_request', message: err.message })
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const report = readiness.report()
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not ready', ...report })
  })
  return app
}
