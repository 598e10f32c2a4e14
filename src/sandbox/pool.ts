import { withoutUndefined } from '../internal/without-undefined.js';
import { CodeSandbox } from './code-sandbox.js';
import { resolvePoolOptions, type SandboxPoolOptions } from './pool/pool-options.js';
import type { SandboxPool } from './pool/pool-types.js';
import { Pool } from './pool/sandbox-pool.js';

export type { PoolRateLimits, SandboxPoolOptions } from './pool/pool-options.js';
export type { PoolExecuteOptions, SandboxPool, SandboxPoolStats } from './pool/pool-types.js';

/**
 * A pool of sandboxes, one per conversation id: created on first use and reused, stopped when
 * idle, replaced before the backend's session timeout, bounded by `maxSessions` with a fair FIFO
 * queue, and with every backend call going through shared token-bucket rate limiters.
 */
export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const resolved = resolvePoolOptions(options);
  // imageSink and capture are checked by the first CodeSandbox, so a mistake shows at once.
  new CodeSandbox(
    withoutUndefined({
      backend: resolved.backend,
      imageSink: resolved.imageSink,
      capture: resolved.capture,
      timeoutMs: resolved.timeoutMs,
    }),
  ).close();
  return new Pool(resolved);
}
