import { TokenBucket } from '../../internal/token-bucket.js';
import type { SessionStore } from '../../stores/types.js';
import type { PoolRateLimits } from './pool-options.js';
import type { BackendLimiters } from './rate-limited-backend.js';

/**
 * The pool's limiters: shared through the session store when it has rate limiters (every process
 * using the store then stays under the limits together), else token buckets of this pool.
 * Attaches share the session-start rate.
 */
export function poolLimiters(
  rateLimits: Required<PoolRateLimits>,
  store: SessionStore | undefined,
  onWait: () => void,
): BackendLimiters {
  const { burst } = rateLimits;
  const limiter = (name: string, ratePerSecond: number) =>
    store?.rateLimiter
      ? store.rateLimiter(name, { ratePerSecond, burst, onWait })
      : new TokenBucket({ ratePerSecond, burst, onWait });
  return {
    start: limiter('session-starts', rateLimits.sessionStartsPerSecond),
    attach: limiter('session-attaches', rateLimits.sessionStartsPerSecond),
    invoke: limiter('invocations', rateLimits.invocationsPerSecond),
    stop: limiter('session-stops', rateLimits.sessionStopsPerSecond),
  };
}
