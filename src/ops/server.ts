import { timingSafeEqual } from 'node:crypto'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify'
import type { Registry } from 'prom-client'
import { type Logger, lazyChild } from '../logger.js'
import type { Readiness } from './readiness.js'

/** The HTTP server with its operational routes. Never listens: `main` does. */
export function buildServer(
  log: Logger,
  readiness: Readiness,
  ops: { metrics?: Registry; metricsToken?: string } = {},
): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per message comes from the bot; per-request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    // A request's logger (reqId) mostly writes nothing: built only when it does.
    childLoggerFactory: (logger, bindings, opts) =>
      Object.keys(opts).length > 0 ? logger.child(bindings, opts) : lazyChild(logger as Logger, bindings),
    // Behind a load balancer the client address is in X-Forwarded-For.
    trustProxy: true,
    return503OnClosing: true,
    // DingTalk sends proper JSON types; coercing "5" ↔ 5 would only hide malformed payloads.
    ajv: { customOptions: { coerceTypes: false } },
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
    return reply.code(report.ready ? 200 : 503).send(report)
  })
  const { metrics, metricsToken } = ops
  if (metrics) {
    app.get('/metrics', async (req, reply) => {
      if (metricsToken && !bearerMatches(req.headers.authorization, metricsToken)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'unauthorized', message: 'bearer token required' })
      }
      return reply.type(metrics.contentType).send(await metrics.metrics())
    })
  }
  return app
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '')
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
