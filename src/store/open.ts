import { type Config, redactRedisUrl, redisNamespace } from '../config.js'
import type { Logger } from '../logger.js'
import { RedisStore } from './redis.js'
import { ResilientStore } from './resilient.js'
import { SqliteStore } from './sqlite.js'
import type { Store } from './store.js'

/**
 * The embedded SQLite file, or with `REDIS_URL` the shared Redis (namespaced by prefix and app)
 * behind the local fallback that keeps the bot answering while Redis is away. What each key does
 * on the file or through an outage is its owner's declaration (`Store.declare`), not ours.
 */
export async function openStore(config: Config, log: Logger): Promise<Store> {
  if (!config.redis) return SqliteStore.open(config.dataDir)
  const { url, keyPrefix } = config.redis
  const namespace = redisNamespace(keyPrefix, config.dingtalk.clientId)
  const redis = await RedisStore.connect({ url, namespace })
  log.info({ store: 'redis', url: redactRedisUrl(url), namespace }, 'shared store connected')
  return new ResilientStore(redis, { log: log.child({ component: 'store' }) })
}
