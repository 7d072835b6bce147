import type { InboundMessage, Reply } from '../../core/message.js'
import type { Logger } from '../../logger.js'
import { NOTICE_MEMORY_MS, type WatchStore } from './store.js'

/**
 * How notices leave: the delivery layer's conversation-addressed sender, as the watch feature
 * sees it. `address` turns the watch command's message into where later notices go (JSON the
 * feature stores without reading); `send` resolves the path taken or throws with a reason.
 */
export interface NoticePort {
  address(msg: InboundMessage): unknown
  send(to: unknown, reply: Reply, log: Logger): Promise<'webhook' | 'openapi'>
}

/** A claim lapses after this long: the claimer died between claiming and recording the send. */
export const CLAIM_TTL_MS = 3 * 60_000
/** Attempts at one notice before it is given up (logged as an error). */
export const MAX_TRIES = 5
/** After the n-th failure the next attempt waits `RETRY_BASE_MS × 2^(n-1)`. */
export const RETRY_BASE_MS = 5000

export type NoticeResult = 'sent' | 'done' | 'busy' | 'failed' | 'given-up'

/**
 * Each notice exactly once, across restarts and replicas: a claim in the store
 * (`setIfAbsent`), the send, then `sent` recorded. A failure is logged with its reason and the
 * claim turns into a `backoff` that lapses, so a later tick tries again; after `MAX_TRIES` the
 * notice is given up, loudly. A claimer that dies mid-send leaves a claim that lapses after
 * `CLAIM_TTL_MS` (then another replica sends it: the one window for a duplicate, as for replies).
 */
export class Notifier {
  constructor(
    private readonly store: WatchStore,
    private readonly port: NoticePort,
    private readonly owner: string,
    private readonly retryBaseMs = RETRY_BASE_MS,
  ) {}

  /** `done`: sent before (or given up before); `sent`: now; `busy`: someone else holds it. */
  async once(
    key: string,
    to: unknown,
    reply: () => Reply | Promise<Reply>,
    log: Logger,
    /** Counts a send by the robot OpenAPI (it costs quota; the webhook does not). */
    onOpenApi: () => Promise<void>,
  ): Promise<NoticeResult> {
    const s = this.store.store
    const state = await s.get(key)
    if (state === 'sent' || state === 'failed') return 'done'
    const claim = `claimed:${this.owner}`
    if (state !== undefined || !(await s.setIfAbsent(key, claim, CLAIM_TTL_MS))) return 'busy'
    let path: 'webhook' | 'openapi'
    try {
      path = await this.port.send(to, await reply(), log)
    } catch (err) {
      const tries = await s.increment(`${key}:tries`, NOTICE_MEMORY_MS)
      const reason = (err as { reason?: string }).reason ?? 'failed'
      if (tries >= MAX_TRIES) {
        await s.set(key, 'failed', NOTICE_MEMORY_MS)
        log.error(
          { notice: noticeName(key), tries, reason, err: (err as Error).message },
          'watch notice given up',
        )
        return 'given-up'
      }
      const retryInMs = this.retryBaseMs * 2 ** (tries - 1)
      if (!(await s.compareAndSet(key, claim, 'backoff', retryInMs))) await s.compareAndDelete(key, claim)
      log.warn(
        { notice: noticeName(key), tries, reason, retryInMs, err: (err as Error).message },
        'watch notice not delivered; will retry',
      )
      return 'failed'
    }
    await s.set(key, 'sent', NOTICE_MEMORY_MS)
    if (path === 'openapi') await onOpenApi()
    log.info({ notice: noticeName(key), path }, 'watch notice sent')
    return 'sent'
  }
}

/** A notice key without the conversation id: `watch-notice:<conference>:…:<kind>` → conference and kind. */
function noticeName(key: string): string {
  const parts = key.split(':')
  return `${parts[1] ?? ''}:${parts.at(-1) ?? ''}`
}
