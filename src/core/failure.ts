import { DingTalkApiError, UpstreamUnavailableError } from '../dingtalk/errors.js'
import { MeetingNotFoundError } from '../meeting/service.js'

export type FailureKey =
  | 'notFound'
  | 'invalidCode'
  | 'noPermission'
  | 'busy'
  | 'quotaExhausted'
  | 'upstreamDown'
  | 'misconfigured'
  | 'internal'

export interface Failure {
  readonly key: FailureKey
  /** How loudly to log it: a missing meeting is the user's business, a crash is ours. */
  readonly level: 'info' | 'warn' | 'error'
}

/** The one place where errors become user-facing categories (texts live in i18n). */
export function describeFailure(err: unknown): Failure {
  if (err instanceof MeetingNotFoundError) return { key: 'notFound', level: 'info' }
  if (err instanceof UpstreamUnavailableError) return { key: 'upstreamDown', level: 'warn' }
  if (err instanceof DingTalkApiError) {
    switch (err.kind) {
      case 'notFound':
        return { key: 'notFound', level: 'info' }
      case 'badRequest':
        return { key: 'invalidCode', level: 'info' }
      case 'forbidden':
        return { key: 'noPermission', level: 'warn' }
      case 'throttled':
        return { key: 'busy', level: 'warn' }
      case 'quotaExhausted':
        return { key: 'quotaExhausted', level: 'error' }
      case 'badCredentials':
      case 'invalidToken':
        return { key: 'misconfigured', level: 'error' }
      case 'server':
        return { key: 'upstreamDown', level: 'warn' }
      default:
        return { key: 'internal', level: 'error' }
    }
  }
  return { key: 'internal', level: 'error' }
}
