import type { CardActionFlowContext } from '../card-action-context.js'
import type { Step } from '../pipeline.js'
import type { RateLimit } from './rate-limit.js'

/**
 * The rate limiter's key for one person's clicks: a budget apart from their messages, so that a
 * click never takes the one refusal a flooding sender is told in the chat.
 */
export function clickRateKey(userId: string, corpId = ''): string {
  return corpId ? `click:${corpId}/${userId}` : `click:${userId}`
}

/**
 * Per person, before any handler runs: a click over the limit is `ignored` (result
 * `rate-limited`), logged, answered with nothing. There is no refusal to show: a click has no
 * chat to answer in, and the card stays as it is. A limiter that fails lets the click through.
 */
export function rateLimitClicks(limiter: RateLimit): Step<CardActionFlowContext> {
  return async (ctx, next) => {
    const verdict = await limiter
      .check(clickRateKey(ctx.action.userId, ctx.action.corpId))
      .catch(() => 'allow' as const)
    if (verdict === 'allow') return next()
    ctx.log.info({ verdict }, 'card clicks over the rate limit')
    ctx.result = 'rate-limited'
    ctx.outcome = 'ignored'
  }
}
