import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { Server as TlsServer } from 'node:tls'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { checkOpenBody, errorBody, GATEWAY_CONNECT_PATH, GATEWAY_OPEN_PATH } from './gateway-protocol.js'

export type Intercept = (reply: FastifyReply) => Promise<boolean>

export interface GatewayDoorOptions {
  readonly clientId: string
  readonly clientSecret: string
  /** DingTalk's tickets are single-use and valid about 90 s. */
  readonly ticketTtlMs: number
}

/**
 * The way into the emulator's Stream gateway: `POST /v1.0/gateway/connections/open` checks the
 * app's credentials and subscriptions and hands out a single-use ticket; the WebSocket upgrade to
 * `/connect?ticket=` is let in once per ticket, or refused (expired, unknown, or on a test's word).
 * It counts what tests look at: open calls and their times, tickets, handshakes refused.
 */
export class GatewayDoor {
  openCalls = 0
  /** Epoch ms of every open call, faulted or not. */
  readonly openTimes: number[] = []
  /** Tickets handed out, so tests can check no log ever holds one. */
  readonly issuedTickets: string[] = []
  /** The subscriptions of the latest successful open call. */
  lastSubscriptions: unknown[] = []
  /** Upgrade requests, whatever their outcome. */
  handshakeAttempts = 0
  rejectedHandshakes = 0
  private readonly tickets = new Map<string, { expires: number; subscriptions: readonly unknown[] }>()
  private refuse = { count: 0, status: 503 }

  constructor(
    private readonly app: FastifyInstance,
    intercept: Intercept,
    private readonly opts: GatewayDoorOptions,
  ) {
    app.post<{ Body: unknown }>(GATEWAY_OPEN_PATH, async (req, reply) => {
      this.openCalls++
      this.openTimes.push(Date.now())
      if (await intercept(reply)) return reply
      // The SDK's own comment: without this header the gateway answers XML.
      if (!/json/i.test(String(req.headers.accept ?? ''))) {
        return reply.type('application/xml').send('<xml><code>notAcceptable</code></xml>')
      }
      const problem = checkOpenBody(req.body, this.opts)
      if (problem) return reply.code(400).send(errorBody(problem.code, problem.message))
      return this.issue((req.body as { subscriptions: unknown[] }).subscriptions)
    })
  }

  /** Answers the next `n` handshakes with `status` even when the ticket is valid. */
  refuseHandshakes(n: number, status = 503): void {
    this.refuse = { count: n, status }
  }

  private issue(subscriptions: unknown[]): { endpoint: string; ticket: string } {
    const now = Date.now()
    for (const [t, { expires }] of this.tickets) if (expires < now) this.tickets.delete(t)
    const ticket = randomUUID()
    this.tickets.set(ticket, { expires: now + this.opts.ticketTtlMs, subscriptions })
    this.issuedTickets.push(ticket)
    this.lastSubscriptions = subscriptions
    return { endpoint: `${this.wsBase()}${GATEWAY_CONNECT_PATH}`, ticket }
  }

  private wsBase(): string {
    const addr = this.app.server.address()
    if (!addr || typeof addr === 'string') throw new Error('gateway: server has no TCP address')
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    return `${this.app.server instanceof TlsServer ? 'wss' : 'ws'}://${host}:${addr.port}`
  }

  /**
   * An upgrade request for `path`: the HTTP status that refuses it, or the subscriptions of the
   * open call that got its ticket, to accept it. Uses up the ticket.
   */
  admit(path: string, closed: boolean): number | readonly unknown[] {
    this.handshakeAttempts++
    const url = new URL(path, 'http://gateway')
    if (url.pathname !== GATEWAY_CONNECT_PATH || closed) return 404
    const ticket = url.searchParams.get('ticket') ?? ''
    const issued = this.tickets.get(ticket)
    this.tickets.delete(ticket)
    if (issued === undefined || issued.expires < Date.now()) return 401
    if (this.refuse.count > 0) {
      this.refuse.count--
      return this.refuse.status
    }
    return issued.subscriptions
  }

  reject(socket: Duplex, status: number): void {
    this.rejectedHandshakes++
    socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    socket.destroy()
  }
}
