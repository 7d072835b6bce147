import { createServer, type IncomingMessage, request, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/*
 * A forward proxy on loopback for the proxy tests: CONNECT tunnels (https, WebSockets) and
 * absolute-URI requests (plain http), optional Basic credentials, a refusing mode. It records what
 * went through it and, for every connection it opened to a target, that connection's local port:
 * a server that also records the remote port of each connection it accepts can then tell a
 * connection that came through the proxy from one that bypassed it (both come from 127.0.0.1).
 * Not the `proxy` npm package: it cannot tell us the ports of its upstream connections.
 */

export interface ProxiedCall {
  /** `CONNECT` or the HTTP method of an absolute-URI request. */
  readonly method: string
  /** `host:port` for CONNECT, the absolute URL otherwise. */
  readonly target: string
  /** What the proxy answered itself (refusals), or undefined when it passed the call on. */
  readonly refused?: number
}

export interface TestProxy {
  readonly url: string
  readonly port: number
  readonly calls: ProxiedCall[]
  /** Local ports of the proxy's connections to targets. */
  readonly upstreamPorts: Set<number>
  /** The Proxy-Authorization headers it was sent (to check credentials arrive). */
  readonly authorizations: string[]
  close(): Promise<void>
}

export interface TestProxyOptions {
  /** Require `Proxy-Authorization: Basic` with these. */
  readonly credentials?: { readonly user: string; readonly password: string }
  /** Answer every call with this status instead of passing it on (a proxy that refuses). */
  readonly refuse?: number
}

const HOP_BY_HOP = ['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive']

export async function startProxy(opts: TestProxyOptions = {}): Promise<TestProxy> {
  const calls: ProxiedCall[] = []
  const upstreamPorts = new Set<number>()
  const authorizations: string[] = []
  const sockets = new Set<Duplex>()
  const expected = opts.credentials
    ? `Basic ${Buffer.from(`${opts.credentials.user}:${opts.credentials.password}`).toString('base64')}`
    : undefined

  /** The status to refuse `req` with, or undefined to pass it on. */
  const refusal = (req: IncomingMessage): number | undefined => {
    const auth = req.headers['proxy-authorization']
    if (auth) authorizations.push(auth)
    if (opts.refuse) return opts.refuse
    if (expected && auth !== expected) return 407
    return undefined
  }
  // Once per socket (a kept-alive upstream socket is handed to many requests): true when new.
  const track = (s: Duplex): boolean => {
    if (sockets.has(s)) return false
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
    return true
  }

  const server: Server = createServer((req, res) => {
    const target = req.url ?? ''
    const refused = refusal(req)
    calls.push({ method: req.method ?? '', target, ...(refused ? { refused } : {}) })
    if (refused) {
      res.writeHead(refused, {
        'content-type': 'text/html',
        ...(refused === 407 ? { 'proxy-authenticate': 'Basic realm="test"' } : {}),
      })
      res.end('<html><body>Access denied by the proxy</body></html>')
      return
    }
    let url: URL
    try {
      url = new URL(target)
    } catch {
      res.writeHead(400).end('absolute URI required')
      return
    }
    const headers = { ...req.headers }
    for (const h of HOP_BY_HOP) delete headers[h]
    const upstream = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    upstream.on('socket', (s: Socket) => {
      if (track(s)) s.on('connect', () => upstreamPorts.add(s.localPort as number))
    })
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })
  server.on('connection', track)
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = req.url ?? ''
    const refused = refusal(req)
    calls.push({ method: 'CONNECT', target, ...(refused ? { refused } : {}) })
    if (refused) {
      client.end(
        `HTTP/1.1 ${refused} Refused\r\n${refused === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : ''}` +
          'Content-Length: 0\r\nConnection: close\r\n\r\n',
      )
      return
    }
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ]
    const upstream = connect({ host: host.replace(/^\[(.*)\]$/, '$1'), port }, () => {
      upstreamPorts.add(upstream.localPort as number)
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    track(upstream)
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const auth = opts.credentials
    ? `${encodeURIComponent(opts.credentials.user)}:${encodeURIComponent(opts.credentials.password)}@`
    : ''
  return {
    url: `http://${auth}127.0.0.1:${port}`,
    port,
    calls,
    upstreamPorts,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Records the remote port of every connection `server` accepts from now on. */
export function acceptedPorts(server: Server): number[] {
  const ports: number[] = []
  server.on('connection', (s: Socket) => ports.push(s.remotePort as number))
  return ports
}
