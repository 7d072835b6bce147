import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../logger.js'
import { type ApiName, DingTalkApiError, isTransient, UpstreamUnavailableError } from './errors.js'

export type FetchFn = typeof fetch

export interface ApiRequest {
  readonly api: ApiName
  readonly method: 'GET' | 'POST' | 'PUT'
  readonly path: string
  readonly query?: Readonly<Record<string, string | number | undefined>>
  readonly body?: unknown
  readonly accessToken?: string
}

/** Observes every upstream attempt (metrics and quota accounting hook in here). */
export type CallObserver = (api: ApiName, outcome: string, durationMs: number) => void

export interface HttpClientOptions {
  readonly baseUrl: string
  readonly timeoutMs: number
  readonly fetch?: FetchFn
  readonly observe?: CallObserver
  /** Waits for a slot in the per-API budget before each attempt. */
  readonly budget?: { acquire(api: ApiName): Promise<void> }
}

/**
 * One HTTP attempt against DingTalk's OpenAPI. Node's fetch keeps connections alive by default;
 * every attempt has its own timeout. Error bodies become `DingTalkApiError`, anything that is not
 * DingTalk's JSON becomes `UpstreamUnavailableError`. No retries here: see `RetryPolicy`.
 */
export class DingTalkHttp {
  private readonly fetch: FetchFn
  constructor(private readonly opts: HttpClientOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch
  }

  get baseUrl(): string {
    return this.opts.baseUrl
  }

  async request<T>(req: ApiRequest): Promise<T> {
    const url = new URL(this.opts.baseUrl + req.path)
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v))
    const headers: Record<string, string> = { accept: 'application/json' }
    if (req.body !== undefined) headers['content-type'] = 'application/json'
    if (req.accessToken) headers['x-acs-dingtalk-access-token'] = req.accessToken
    await this.opts.budget?.acquire(req.api)
    const started = performance.now()
    let outcome = 'network'
    try {
      const res = await this.fetch(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      }).catch((err: unknown) => {
        const timedOut = err instanceof DOMException && err.name === 'TimeoutError'
        outcome = timedOut ? 'timeout' : 'network'
        throw new UpstreamUnavailableError(req.api, timedOut ? 'timeout' : 'network', { cause: err })
      })
      const text = await res.text().catch((err: unknown) => {
        throw new UpstreamUnavailableError(req.api, 'network', { cause: err })
      })
      const json = parseJson(text)
      outcome = String(res.status)
      if (res.ok) {
        if (json === undefined) throw new UpstreamUnavailableError(req.api, 'bad-response')
        return json as T
      }
      const body = (json ?? {}) as { code?: unknown; message?: unknown; requestid?: unknown }
      if (typeof body.code !== 'string') {
        // An IP ban or a proxy answers HTML: treat it as DingTalk being unavailable.
        if (res.status >= 500 || json === undefined)
          throw new UpstreamUnavailableError(req.api, 'bad-response')
      }
      throw new DingTalkApiError(
        req.api,
        res.status,
        typeof body.code === 'string' ? body.code : `HTTP${res.status}`,
        typeof body.requestid === 'string' ? body.requestid : undefined,
        typeof body.message === 'string' ? body.message : '',
      )
    } finally {
      this.opts.observe?.(req.api, outcome, performance.now() - started)
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export interface RetryOptions {
  /** Attempts for 5xx, timeouts and network failures (the first one included). */
  readonly maxAttempts: number
  /** Total time we keep retrying a throttled call before giving up with "busy". */
  readonly throttleBudgetMs: number
  readonly baseDelayMs: number
  readonly random?: () => number
  readonly sleep?: (ms: number) => Promise<unknown>
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, throttleBudgetMs: 3000, baseDelayMs: 200 }

/** Exponential backoff with full jitter on top of half the delay, so retries never line up. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt)
  return Math.round(exp / 2 + (random() * exp) / 2)
}

/**
 * Runs `attempt` until it succeeds or the error is final: transient failures (5xx, timeouts) get a
 * bounded number of attempts; throttling gets backoff with jitter within a time budget.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  opts: RetryOptions,
  log?: Pick<Logger, 'debug'>,
): Promise<T> {
  const random = opts.random ?? Math.random
  const pause = opts.sleep ?? sleep
  const started = Date.now()
  let failures = 0
  for (;;) {
    try {
      return await attempt()
    } catch (err) {
      if (!isTransient(err)) throw err
      failures++
      const throttled = err instanceof DingTalkApiError && err.kind === 'throttled'
      const delay = backoffDelay(failures - 1, opts.baseDelayMs, 2000, random)
      const giveUp = throttled
        ? Date.now() - started + delay > opts.throttleBudgetMs
        : failures >= opts.maxAttempts
      if (giveUp) throw err
      log?.debug({ err: (err as Error).message, failures, delay }, 'retrying upstream call')
      await pause(delay)
    }
  }
}
