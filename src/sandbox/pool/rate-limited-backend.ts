import type { SandboxBackend } from '../../backends/types.js';
import { wrapBackend } from '../../backends/wrap-backend.js';

/** Something that lets calls through at a rate: a TokenBucket, or a session store's limiter. */
export interface RateLimiter {
  take(abortSignal?: AbortSignal): Promise<void>;
}

/** The limiters one pool shares between all its sessions. */
export interface BackendLimiters {
  /** Session starts (StartCodeInterpreterSession). */
  start: RateLimiter;
  /** Attaches to an existing session (GetCodeInterpreterSession). */
  attach: RateLimiter;
  /** Calls into a running session (InvokeCodeInterpreter). */
  invoke: RateLimiter;
  /** Session stops (StopCodeInterpreterSession). */
  stop: RateLimiter;
}

/**
 * Wraps a backend so that every call it makes to the service first takes a token: session starts
 * from `start`, attaches from `attach`, every call into a session (runCode, writeFiles, readFile,
 * removeFiles, clearContext, ...) from `invoke`, close from `stop`. The backend itself is
 * unchanged; retries it makes inside one call are not limited again.
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
    async wrapAttachSession(_sessionId, options, attach) {
      await limiters.attach.take(options.abortSignal);
      return attach();
    },
    async wrapCall(call, proceed) {
      await limiters.invoke.take(call.abortSignal);
      return proceed();
    },
    async wrapClose(close) {
      // A stop always happens (a leaked session costs money); it only waits for its turn. When
      // a shared limiter cannot be reached, the stop goes ahead without it.
      await limiters.stop.take().catch(() => undefined);
      await close();
    },
  });
}
