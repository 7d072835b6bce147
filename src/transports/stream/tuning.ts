/** How the Stream transport paces itself: reconnects, the watchdog, the hand-over to the core. */
export interface StreamTuning {
  /** Reconnect delays: exponential with jitter from about `initialMs`, capped at `maxMs`. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number }
  /** A socket silent this long is dead; at half of it we probe with a WebSocket ping. 0: off. */
  readonly watchdogMs: number
  /** A connection that lived this long resets the backoff when it ends. */
  readonly stableAfterMs: number
  /**
   * Acked frames handed to the core per event-loop turn; the rest wait (already acked) for the
   * next turn. Bounds the work between two socket reads, so a burst of frames does not delay the
   * acks of the frames behind it (backlog.ts).
   */
  readonly handoffPerTurn?: number
  /**
   * Messages handed to the core and not yet answered, at most. The rest wait as acked frames: a
   * backlog of thousands of messages in flight at once held thousands of live promise chains,
   * whose completions and garbage stood between socket reads (the acks' latency).
   */
  readonly maxInFlight?: number
  /**
   * Messages taken and not answered yet (being kept, waiting, in flight), at most: above it the
   * socket is not read (`BOT_MAX_PENDING`).
   */
  readonly maxPending?: number
}

export const DEFAULT_STREAM: StreamTuning = {
  backoff: { initialMs: 1000, maxMs: 30_000 },
  watchdogMs: 60_000,
  stableAfterMs: 30_000,
  // Measured (npm run bench, stream, this 2-core VM): 8 / unbounded gave ack p99 58 to 65 ms;
  // 4 / 64 gave 48 to 53 ms at the same answer rate. Smaller caps lowered the answer rate.
  handoffPerTurn: 4,
  maxInFlight: 64,
}
