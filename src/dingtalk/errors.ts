/** The upstream APIs we call, by the names logs, metrics, the usage ledger and the emulator use. */
export const API_NAMES = [
  'token',
  'corp.token',
  'conference.byRoomCode',
  'conference.info',
  'conference.members',
  'robot.groupSend',
  'robot.otoSend',
  'gateway.open',
  'card.deliver',
  'card.update',
] as const
export type ApiName = (typeof API_NAMES)[number]

/** What an error means for us, whatever the exact DingTalk code. */
export type ApiErrorKind =
  | 'invalidToken'
  | 'badCredentials'
  | 'throttled'
  | 'quotaExhausted'
  | 'forbidden'
  | 'notFound'
  | 'badRequest'
  | 'server'
  | 'other'

/** DingTalk answered with an error body `{code, message, requestid}`. */
export class DingTalkApiError extends Error {
  readonly kind: ApiErrorKind
  constructor(
    readonly api: ApiName,
    readonly status: number,
    readonly code: string,
    readonly requestId: string | undefined,
    upstreamMessage: string,
  ) {
    super(`${api} failed: HTTP ${status} ${code}${upstreamMessage ? ` (${upstreamMessage})` : ''}`)
    this.name = 'DingTalkApiError'
    this.kind = classifyApiError(status, code)
  }
}

/** DingTalk could not be reached or answered something that is not its API (timeout, reset, HTML). */
export class UpstreamUnavailableError extends Error {
  constructor(
    readonly api: ApiName,
    readonly reason: 'timeout' | 'network' | 'bad-response',
    options?: { cause?: unknown },
  ) {
    super(`${api} unavailable: ${reason}`, options)
    this.name = 'UpstreamUnavailableError'
  }
}

export function classifyApiError(status: number, code: string): ApiErrorKind {
  if (code === 'InvalidAuthentication') return 'invalidToken'
  if (code === 'invalidClientIdOrSecret' || code === 'invalidAppKeyOrSecret' || code === 'invalidSuiteKey')
    return 'badCredentials'
  if (status === 429 || /Qps|Qpm|system\.busy|send\.too\.fast/i.test(code)) return 'throttled'
  if (/ApiCountLimit/i.test(code)) return 'quotaExhausted'
  if (status === 404 || /notFound/i.test(code)) return 'notFound'
  if (status === 403) return 'forbidden'
  if (status >= 500) return 'server'
  if (status === 400) return 'badRequest'
  return 'other'
}

/** Errors worth another attempt after a pause. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof UpstreamUnavailableError ||
    (err instanceof DingTalkApiError && (err.kind === 'server' || err.kind === 'throttled'))
  )
}
