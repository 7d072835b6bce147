import { type Config, redisNamespace } from '../config.js'
import type { Logger } from '../logger.js'
import { RedisStore } from '../store/redis.js'
import { redactRedisUrl } from '../store/redis-url.js'
import { ResilientStore } from '../store/resilient.js'
import { SqliteStore } from '../store/sqlite.js'
import type { Store } from '../store/store.js'

/**
 * The store production uses: the embedded SQLite file, or with `REDIS_URL` the shared Redis
 * (namespaced by prefix and app) behind the local fallback that keeps the bot answering while
 * Redis is away. What each key does on the file or through an outage is its owner's declaration
 * (`Store.declare`), not this file's.
 */
export async function openStore(config: Config, log: Logger): Promise<Store> {
  if (!config.redis) return SqliteStore.open(config.dataDir)
  const { url, keyPrefix } = config.redis
  const namespace = redisNamespace(keyPrefix, config.dingtalk.clientId)
  const redis = await RedisStore.connect({ url, namespace })
  log.info({ store: 'redis', url: redactRedisUrl(url), namespace }, 'shared store connected')
  return new ResilientStore(redis, { log: log.child({ component: 'store' }) })
}
