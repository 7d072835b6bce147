import type { Failure } from '../../core/errors.js'
import type { Feature } from '../../core/feature.js'
import { DingTalkApiError, UpstreamUnavailableError } from '../../dingtalk/errors.js'

/** How DingTalk's failures read in the chat, whichever feature met them. */
const FAILURES = {
  notFound: {
    key: 'notFound',
    level: 'info',
    text: {
      en: 'No meeting found for that code. Check the number and try again.',
      'zh-CN': '没有找到这个会议号对应的会议，请检查号码后重试。',
    },
  },
  invalidCode: {
    key: 'invalidCode',
    level: 'info',
    text: { en: 'DingTalk says that is not a valid room code.', 'zh-CN': '钉钉提示这不是有效的会议号。' },
  },
  noPermission: {
    key: 'noPermission',
    level: 'warn',
    text: {
      en: 'I am not allowed to read this meeting. An admin must grant the app the VideoConference.Conference.Read permission.',
      'zh-CN': '我没有权限读取这个会议。请管理员为应用开通 VideoConference.Conference.Read 权限。',
    },
  },
  busy: {
    key: 'busy',
    level: 'warn',
    text: {
      en: 'DingTalk is busy right now. Please try again in a few seconds.',
      'zh-CN': '钉钉接口正忙，请几秒后再试。',
    },
  },
  quotaExhausted: {
    key: 'quotaExhausted',
    level: 'error',
    text: {
      en: "This month's DingTalk API quota for the organisation is used up, so I cannot look up meetings until it resets.",
      'zh-CN': '本组织本月的钉钉接口调用量已用完，额度重置前无法查询会议。',
    },
  },
  upstreamDown: {
    key: 'upstreamDown',
    level: 'warn',
    text: {
      en: 'DingTalk is not answering right now. Please try again in a minute.',
      'zh-CN': '暂时连不上钉钉，请稍后再试。',
    },
  },
  misconfigured: {
    key: 'misconfigured',
    level: 'error',
    text: {
      en: 'I cannot sign in to DingTalk; an admin needs to check my credentials.',
      'zh-CN': '我无法登录钉钉，请管理员检查应用凭证。',
    },
  },
} satisfies Record<string, Failure>

/** DingTalk's classified errors (`dingtalk/errors.ts`) as user-facing failures; others are not ours. */
export function explainDingTalkFailure(err: unknown): Failure | undefined {
  if (err instanceof UpstreamUnavailableError) return FAILURES.upstreamDown
  if (!(err instanceof DingTalkApiError)) return undefined
  switch (err.kind) {
    case 'notFound':
      return FAILURES.notFound
    case 'badRequest':
      return FAILURES.invalidCode
    case 'forbidden':
      return FAILURES.noPermission
    case 'throttled':
      return FAILURES.busy
    case 'quotaExhausted':
      return FAILURES.quotaExhausted
    case 'badCredentials':
    case 'invalidToken':
      return FAILURES.misconfigured
    case 'server':
      return FAILURES.upstreamDown
    default:
      return undefined
  }
}

/** No commands: what the user is told when DingTalk fails, for every feature that calls it. */
export function platformFeature(): Feature {
  return { name: 'platform', failures: [explainDingTalkFailure] }
}
