/**
 * `sandplot/redis`: a session store in Redis, so that the sandbox pools of several processes
 * share their conversations' sessions, their `maxSessions` and their rate limits. Kept out of the
 * core entry so the core never loads the `redis` package (an optional peer dependency).
 *
 * @module sandplot/redis
 */

export type {
  RedisClientLike,
  RedisSessionStore,
  RedisSessionStoreOptions,
} from './stores/redis.js';
export { redisSessionStore } from './stores/redis.js';
export type {
  SessionStore,
  SessionStoreLock,
  SessionStoreLockOptions,
  SlotClaim,
  SlotClaimResult,
  StoreRateLimiter,
  StoreRateLimiterOptions,
} from './stores/types.js';
