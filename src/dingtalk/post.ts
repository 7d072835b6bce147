import { EventEmitter } from 'node:events'
import { type Dispatcher, request } from 'undici'
import type { FetchFn } from './http.js'

/** The answer to a POST: its status and body text. */
export interface PostAnswer {
  readonly status: number
  readonly text: string
}

/** Why a POST got no answer. */
export class PostFailedError extends Error {
  constructor(
    readonly reason: 'timeout' | 'network error',
    options?: { cause?: unknown },
  ) {
    super(reason, options)
    this.name = 'PostFailedError'
  }
}

/**
 * POSTs a JSON body and reads the whole answer, within `timeoutMs` from start to last byte.
 * Rejects with `PostFailedError` only; never names the URL (a session webhook is a credential).
 */
export type JsonPost = (url: URL, json: string, timeoutMs: number) => Promise<PostAnswer>

const HEADERS = { 'content-type': 'application/json' }

/**
 * The POST of the hot path (a session webhook per answer) on undici's `request`, through
 * `dispatcher` (the proxy's, or undici's global one). Not `fetch`: a CPU profile of the Stream
 * benchmark (5,000 frames, every answer by webhook) had a quarter of the bot's main-thread time
 * in `fetch`, most of it in its WHATWG streams, AbortSignal and Headers objects, none of which
 * a JSON POST needs. The timeout is one timer and a plain EventEmitter as the signal (creating an
 * AbortSignal was itself a tenth of it on Node 20).
 */
export function requestPost(dispatcher?: Dispatcher): JsonPost {
  return async (url, json, timeoutMs) => {
    const signal = new EventEmitter()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      signal.emit('abort')
    }, timeoutMs)
    try {
      const res = await request(url, {
        method: 'POST',
        headers: HEADERS,
        body: json,
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      })
      const text = await res.body.text()
      return { status: res.statusCode, text }
    } catch (err) {
      throw new PostFailedError(timedOut ? 'timeout' : 'network error', { cause: err })
    } finally {
      clearTimeout(timer)
    }
  }
}

/** The same over a `fetch` (one a test injects, to see or fail every call). */
export function fetchPost(fetchFn: FetchFn): JsonPost {
  return async (url, json, timeoutMs) => {
    try {
      const res = await fetchFn(url, {
        method: 'POST',
        headers: HEADERS,
        body: json,
        signal: AbortSignal.timeout(timeoutMs),
      })
      return { status: res.status, text: await res.text() }
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError'
      throw new PostFailedError(timedOut ? 'timeout' : 'network error', { cause: err })
    }
  }
}
