import { type DestinationStream, type Logger, pino } from 'pino'
import pretty from 'pino-pretty'

/**
 * Paths that may hold a secret anywhere we log an object. The code never logs these on purpose;
 * redaction is the second line of defence (tested in test/logger.test.ts).
 */
export const REDACT_PATHS = [
  'clientSecret',
  'appSecret',
  'accessToken',
  'token',
  'ticket',
  'sessionWebhook',
  'webhook',
  'sign',
  '*.clientSecret',
  '*.appSecret',
  '*.accessToken',
  '*.token',
  '*.ticket',
  '*.sessionWebhook',
  '*.webhook',
  '*.sign',
  'headers.sign',
  'req.headers.sign',
  'req.headers["x-acs-dingtalk-access-token"]',
  'headers["x-acs-dingtalk-access-token"]',
  '*.headers.sign',
  '*.headers["x-acs-dingtalk-access-token"]',
]

export type { Logger }

/**
 * The root logger. JSON lines for machines; with `pretty` (main sets it on a TTY) a readable
 * stream for people. Redaction happens before either sees a line.
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  opts: { pretty?: boolean } = {},
): Logger {
  const out = opts.pretty
    ? pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true })
    : destination
  return pino(
    {
      level,
      base: { service: 'meeting-bot' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    out,
  )
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
type LogFn = (...args: unknown[]) => void

/**
 * A child logger that becomes a real pino child only when it first writes a line. pino builds a
 * child's bindings eagerly, through the redaction above (measured: the largest single cost of a
 * message that logs nothing at `warn`); a message's or a request's logger mostly writes nothing.
 * The level is the parent's, read at each call.
 */
class LazyChild {
  private real: Logger | undefined

  constructor(
    private readonly parent: Logger,
    private readonly bound: Record<string, unknown>,
  ) {}

  private write(level: Level, args: unknown[]): void {
    if (!this.parent.isLevelEnabled(level)) return
    this.real ??= this.parent.child(this.bound)
    ;(this.real[level] as LogFn)(...args)
  }

  trace(...args: unknown[]): void {
    this.write('trace', args)
  }
  debug(...args: unknown[]): void {
    this.write('debug', args)
  }
  info(...args: unknown[]): void {
    this.write('info', args)
  }
  warn(...args: unknown[]): void {
    this.write('warn', args)
  }
  error(...args: unknown[]): void {
    this.write('error', args)
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }
  silent(): void {}

  get level(): string {
    return this.parent.level
  }

  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level)
  }

  bindings(): Record<string, unknown> {
    return { ...this.parent.bindings(), ...this.bound }
  }

  child(bindings: Record<string, unknown>): Logger {
    return lazyChild(this.parent, { ...this.bound, ...bindings })
  }
}

/** `parent.child(bindings)`, paid for only if a line is written. */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new LazyChild(parent, bindings) as unknown as Logger
}
