import autocannon, { type RequestSpec } from 'autocannon'
import { signedHeaders } from './payload.js'
import { type LatencySummary, round, summarize } from './stats.js'

export interface LoadOptions {
  readonly url: string
  readonly connections: number
  /** Seconds of load; or `amount` requests. */
  readonly durationS?: number
  readonly amount?: number
  /** Fixed request rate over all connections (open loop); unset: as fast as answers come back. */
  readonly overallRate?: number
  /** A fresh JSON body per request (or `request`). */
  readonly body?: () => string
  /**
   * Instead of `body` and `expect`, when each request expects its own answer: the body and what
   * its answer must contain.
   */
  readonly request?: () => { readonly body: string; readonly expect: string }
  /** Sign each request (fresh `timestamp` and `sign`) with this secret. */
  readonly secret?: string
  /** Every 2xx answer must contain this; the ones that do not are counted. */
  readonly expect?: string
}

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  /** Completed requests per second, from the first request to the last answer. */
  readonly rps: number
  readonly latencyMs: LatencySummary
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  /** 2xx answers without the expected content. */
  readonly unexpected: number
}

/**
 * HTTP load with autocannon: `connections` keep-alive connections, each sending its next request
 * when the previous answer arrives (closed loop) unless `overallRate` is set. Latencies come from
 * autocannon's per-response hrtime (sub-millisecond), not its integer histogram.
 */
export function load(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = []
  let unexpected = 0
  const spec: RequestSpec = {
    method: 'POST',
    path: new URL(opts.url).pathname,
    // autocannon keeps one context per connection, and a connection has one request in flight.
    setupRequest: (req, context) => {
      const next = opts.request?.()
      req.body = next ? next.body : (opts.body?.() ?? '')
      context.expect = next ? next.expect : opts.expect
      req.headers = opts.secret ? signedHeaders(opts.secret) : { 'content-type': 'application/json' }
      return req
    },
    // Only when answers are checked: with onResponse autocannon collects every body.
    ...(opts.expect !== undefined || opts.request
      ? {
          onResponse: (status: number, body: string, context: Record<string, unknown>) => {
            const want = context.expect as string | undefined
            if (status < 300 && want !== undefined && !body.includes(want)) unexpected++
          },
        }
      : {}),
  }
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let last = started
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        ...(opts.amount ? { amount: opts.amount } : { duration: opts.durationS ?? 10 }),
        ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
        timeout: 10,
        requests: [spec],
      },
      (err, result) => {
        if (err) return reject(err)
        const seconds = (last - started) / 1000
        const requests = latencies.length
        resolve({
          requests,
          seconds: round(seconds),
          rps: round(requests / seconds, 1),
          latencyMs: summarize(latencies),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          unexpected,
        })
      },
    )
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      last = performance.now()
      if (status < 300) latencies.push(ms)
    })
  })
}

/**
 * Equal-length rounds as one result. Percentiles of the rounds' percentiles would be wrong; the
 * rounds are equal in length, so the mean of each round's p50/p99 is a fair summary (each round
 * stays in the JSON).
 */
export function mergeRounds(runs: readonly LoadResult[]) {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0)
  const requests = sum((r) => r.requests)
  const seconds = sum((r) => r.seconds)
  return {
    requests,
    seconds: round(seconds),
    rps: round(requests / seconds, 1),
    p50: round(sum((r) => r.latencyMs.p50) / runs.length),
    p99: round(sum((r) => r.latencyMs.p99) / runs.length),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    unexpected: sum((r) => r.unexpected),
  }
}
