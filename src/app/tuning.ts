import { DEFAULT_DEDUPE, type DedupeOptions } from '../core/dedupe.js'
import { DEFAULT_DELIVERY, type DeliveryOptions } from '../delivery/delivery.js'
import { DEFAULT_PACING, type PacerOptions } from '../delivery/pacer.js'
import { DEFAULT_RETRY, type RetryOptions } from '../dingtalk/http.js'
import { type CacheTtls, DEFAULT_TTLS } from '../features/meeting/service.js'
import { DEFAULT_STREAM, type StreamTuning } from '../transports/stream/supervisor.js'

/** Knobs the composition root sets from defaults and tests shorten. */
export interface Tuning {
  readonly retry: RetryOptions
  readonly delivery: DeliveryOptions
  readonly pacing: PacerOptions
  readonly dedupe: DedupeOptions
  readonly ttls: CacheTtls
  /** How long an HTTP callback waits for the answer before replying `empty` and using the webhook. */
  readonly inlineDeadlineMs: number
  /** Bound on finishing in-flight replies at shutdown. */
  readonly drainMs: number
  /** Stream-mode reconnect backoff and silent-socket watchdog. */
  readonly stream: StreamTuning
}

export const DEFAULT_TUNING: Tuning = {
  retry: DEFAULT_RETRY,
  delivery: DEFAULT_DELIVERY,
  pacing: DEFAULT_PACING,
  dedupe: DEFAULT_DEDUPE,
  ttls: DEFAULT_TTLS,
  inlineDeadlineMs: 1500,
  drainMs: 10_000,
  stream: DEFAULT_STREAM,
}
