import type { FetchFn } from '../../dingtalk/http.js'

export const GATEWAY_OPEN_PATH = '/v1.0/gateway/connections/open'

/** The gateway open call failed; the message never holds the secret or a ticket. */
export class GatewayOpenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'GatewayOpenError'
  }
}

export interface GatewayOpenRequest {
  readonly apiBase: string
  readonly clientId: string
  readonly clientSecret: string
  readonly ua: string
  /** `{type, topic}`: the CALLBACK topics routed, and `{type: 'EVENT', topic: '*'}` for events. */
  readonly subscriptions: readonly { readonly type: string; readonly topic: string }[]
  readonly timeoutMs: number
  readonly signal: AbortSignal
  readonly fetch?: FetchFn
}

/**
 * The Stream gateway's open call (platform notes §3): the WebSocket URL to connect to, its
 * single-use ticket in the query. Rejects with a `GatewayOpenError` that names what went wrong
 * and never what the secret or the ticket are.
 */
export async function openGateway(req: GatewayOpenRequest): Promise<string> {
  const fetchFn = req.fetch ?? globalThis.fetch
  let res: Response
  try {
    res = await fetchFn(`${req.apiBase}${GATEWAY_OPEN_PATH}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: req.clientId,
        clientSecret: req.clientSecret,
        ua: req.ua,
        subscriptions: req.subscriptions,
      }),
      signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]),
    })
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError'
    throw new GatewayOpenError(`gateway ${timedOut ? 'timed out' : 'unreachable'}`, undefined, { cause: err })
  }
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined
  if (!res.ok) {
    const code = typeof body?.code === 'string' ? ` ${body.code.slice(0, 80)}` : ''
    throw new GatewayOpenError(`gateway open failed: HTTP ${res.status}${code}`, res.status)
  }
  const endpoint = body?.endpoint
  const ticket = body?.ticket
  if (typeof endpoint !== 'string' || typeof ticket !== 'string' || !ticket) {
    throw new GatewayOpenError('gateway answered without endpoint or ticket', res.status)
  }
  let socketUrl: URL
  try {
    socketUrl = new URL(endpoint)
  } catch {
    throw new GatewayOpenError('gateway answered an endpoint that is not a URL', res.status)
  }
  if (socketUrl.protocol !== 'wss:' && socketUrl.protocol !== 'ws:') {
    throw new GatewayOpenError(`gateway answered a ${socketUrl.protocol} endpoint`, res.status)
  }
  socketUrl.searchParams.set('ticket', ticket)
  return socketUrl.href
}
