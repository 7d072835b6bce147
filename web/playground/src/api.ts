import type { FeedEvent } from './store.js'

/** The emulator's control API, through the bot (src/playground/serve.ts passes it on). */
const BASE = new URL('api/', document.baseURI).pathname

export class ApiError extends Error {
  override name = 'ApiError'
}

/** Calls a control route; a refusal's message (a meeting not running...) becomes an ApiError. */
export async function call<T = Record<string, unknown>>(
  path: string,
  body: unknown = {},
  method: 'POST' | 'DELETE' = 'POST',
): Promise<T> {
  let res: Response
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  } catch {
    throw new ApiError('the bot does not answer: is it still running?')
  }
  const answer = (await res.json().catch(() => ({}))) as { message?: string }
  if (!res.ok) throw new ApiError(answer.message ?? `HTTP ${res.status}`)
  return answer as T
}

/**
 * Follows the emulator's event stream (Server-Sent Events). The browser reconnects by itself and
 * sends the last id it saw, so nothing is missed or repeated.
 */
export function follow(
  onEvent: (e: FeedEvent) => void,
  onConnection: (c: 'open' | 'closed') => void,
): () => void {
  const source = new EventSource(`${BASE}feed`)
  source.onopen = () => onConnection('open')
  source.onerror = () => onConnection('closed')
  source.onmessage = (m: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(m.data) as FeedEvent)
    } catch {
      // Not JSON: not ours.
    }
  }
  return () => source.close()
}
