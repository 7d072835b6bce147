import { type Config, redisNamespace } from '../config.js'
import { DEDUPE_PREFIX } from '../core/dedupe.js'
import type { Logger } from '../logger.js'
import { RedisStore } from '../store/redis.js'
import { redactRedisUrl } from '../store/redis-url.js'
import { ResilientStore } from '../store/resilient.js'
import { SqliteStore } from '../store/sqlite.js'
import type { Store } from '../store/store.js'

/**
 * The embedded SQLite file, or with `REDIS_URL` the shared Redis (namespaced by prefix and app)
 * behind the local fallback that keeps the bot answering while Redis is away.
 */
export async function openStore(config: Config, log: Logger): Promise<Store> {
  if (!config.redis) return new SqliteStore(config.dataDir)
  const { url, keyPrefix } = config.redis
  const namespace = redisNamespace(keyPrefix, config.dingtalk.clientId)
  const redis = await RedisStore.connect({ url, namespace })
  log.info({ store: 'redis', url: redactRedisUrl(url), namespace }, 'shared store connected')
  return new ResilientStore(redis, {
    log: log.child({ component: 'store' }),
    // Per-chat settings (src/settings.ts) survive an outage here, and changes made meanwhile go back.
    mirror: ['settings:'],
    writeBack: { [DEDUPE_PREFIX]: 'ifAbsent', 'settings:': 'overwrite' },
  })
}
