import type { SandboxBackend } from '../../backends/types.js';
import { wrapBackend } from '../../backends/wrap-backend.js';
import type { TokenBucket } from './token-bucket.js';

/** The limiters one pool shares between all its sessions. */
export interface BackendLimiters {
  /** Session starts (StartCodeInterpreterSession). */
  start: TokenBucket;
  /** Calls into a running session (InvokeCodeInterpreter). */
  invoke: TokenBucket;
  /** Session stops (StopCodeInterpreterSession). */
  stop: TokenBucket;
}

/**
 * Wraps a backend so that every call it makes to the service first takes a token: session starts
 * from `start`, every call into a session (runCode, writeFiles, readFile, removeFiles,
 * clearContext, ...) from `invoke`, close from `stop`. The backend itself is unchanged; retries it
 * makes inside one call are not limited again.
 */
export function rateLimitedBackend(
  backend: SandboxBackend,
  limiters: BackendLimiters,
): SandboxBackend {
  return wrapBackend(backend, {
    async wrapCreateSession(options, create) {
      await limiters.start.take(options.abortSignal);
      return create();
    },
    async wrapCall(call, proceed) {
      await limiters.invoke.take(call.abortSignal);
      return proceed();
    },
    async wrapClose(close) {
      // A stop always happens (a leaked session costs money); it only waits for its turn.
      await limiters.stop.take().catch(() => undefined);
      await close();
    },
  });
}
