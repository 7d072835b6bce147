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
