import type { Agent as HttpAgent } from 'node:http'
import { BlockList, isIP } from 'node:net'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { Agent, type Dispatcher, Pool, ProxyAgent, fetch as undiciFetch } from 'undici'
import type { FetchFn } from './http.js'

/*
 * Every outbound connection of the bot (OpenAPI and token calls, session webhooks, the Stream
 * gateway call and its WebSocket) through a corporate proxy, decided per target the way curl
 * decides: `https:`/`wss:` targets use the HTTPS proxy, `http:`/`ws:` targets the HTTP proxy
 * (no fall-back from one to the other), a host matching NO_PROXY goes direct.
 *
 * The proxying itself is done by libraries made for it: undici's `ProxyAgent` for fetch (a CONNECT
 * tunnel for https, an absolute-URI request for plain http, credentials from the proxy URL) and
 * `https-proxy-agent` for the WebSocket (a CONNECT tunnel, which `ws` accepts as its `agent`).
 * Only the per-target decision is ours, because no library takes the values as arguments with
 * curl's rules: undici's `EnvHttpProxyAgent` reads `process.env` itself, is experimental (a
 * warning on stderr at start), and sends https through HTTP_PROXY when HTTPS_PROXY is unset.
 */

/** What the configuration says (`config.ts` reads the variables). */
export interface ProxySettings {
  /** For `http:` and `ws:` targets: HTTP_PROXY. */
  readonly httpProxy: string | undefined
  /** For `https:` and `wss:` targets: HTTPS_PROXY. */
  readonly httpsProxy: string | undefined
  /** NO_PROXY's entries: `*`, host names (suffix match), IP addresses, CIDR ranges, each optionally `:port`. */
  readonly noProxy: readonly string[]
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 }

/** The host of a URL without IPv6 brackets, lower case. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
}

/** One NO_PROXY entry as a predicate on (host, port). */
function entryMatcher(entry: string): (host: string, port: number) => boolean {
  let value = entry.trim().toLowerCase()
  let port = 0
  // `host:port`, `[v6]:port`; a bare IPv6 address has colons but no port.
  const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value)
  if (withPort) {
    value = withPort[1] as string
    port = Number(withPort[2])
  }
  value = value.replace(/^\[(.*)\]$/, '$1')
  const portOk = (p: number) => port === 0 || port === p
  const slash = value.indexOf('/')
  if (slash > 0 && isIP(value.slice(0, slash))) {
    const list = new BlockList()
    const address = value.slice(0, slash)
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    list.addSubnet(address, Number(value.slice(slash + 1)), family)
    return (host, p) => portOk(p) && isIP(host) !== 0 && list.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4')
  }
  if (isIP(value)) return (host, p) => portOk(p) && host === value
  // A name matches itself and its subdomains; a leading `.` or `*.` changes nothing (as in curl).
  const name = value.replace(/^\*?\.+/, '')
  return (host, p) => portOk(p) && (host === name || host.endsWith(`.${name}`))
}

/** Whether NO_PROXY sends `url` direct. */
export function bypassesProxy(noProxy: readonly string[], url: URL): boolean {
  if (noProxy.includes('*')) return true
  const host = hostOf(url)
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol] || 0
  return noProxy.some((entry) => entry.trim() !== '' && entryMatcher(entry)(host, port))
}

/** The proxy `url` goes through, or undefined: direct. */
export function proxyFor(settings: ProxySettings, url: URL): string | undefined {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:'
  const proxy = secure ? settings.httpsProxy : settings.httpProxy
  if (!proxy || bypassesProxy(settings.noProxy, url)) return undefined
  return proxy
}

/** Outbound connections honouring the proxy settings, built once for the whole app. */
export interface Outbound {
  /** Like the global fetch, through the proxy `proxyFor` picks for each request's URL. */
  readonly fetch: FetchFn
  /** The same connections for undici's own API (`requestPost`: the session webhook). */
  readonly dispatcher: Dispatcher
  /**
   * The agent for one WebSocket to `url`: a CONNECT tunnel through its proxy, or undefined (direct).
   * `signal` destroys the tunnel's socket: the caller aborts it when the handshake fails or times
   * out (https-proxy-agent never gives up on a proxy that does not answer the CONNECT).
   */
  wsAgent(url: URL, signal?: AbortSignal): HttpAgent | undefined
  /** Closes fetch's pooled connections (to the proxies and direct ones). */
  close(): Promise<void>
}

export function createOutbound(settings: ProxySettings): Outbound {
  // One pool per origin, as undici's default; the factory picks what serves that origin.
  const dispatcher = new Agent({
    factory: (origin: string | URL, opts: Agent.Options): Dispatcher => {
      const target = new URL(String(origin))
      const proxy = proxyFor(settings, target)
      if (!proxy) return new Pool(target.origin, opts)
      // Plain http goes as absolute-URI requests (what curl does); https through a CONNECT tunnel.
      return new ProxyAgent({ uri: proxy, proxyTunnel: target.protocol !== 'http:' })
    },
  })
  const fetchThrough = ((input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    })) as unknown as FetchFn
  return {
    fetch: fetchThrough,
    dispatcher,
    // An arrow function: it is handed on unbound. One agent per socket, for the signal.
    wsAgent: (url, signal) => {
      const proxy = proxyFor(settings, url)
      return proxy ? new HttpsProxyAgent(proxy, signal ? { signal } : {}) : undefined
    },
    close: () => dispatcher.close(),
  }
}
