import { hasMarker, SandplotError } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.pool-busy');

/** Error codes of a busy pool; `isRetryable` is true for both. */
export type SandboxPoolErrorCode = 'POOL_QUEUE_FULL' | 'POOL_QUEUE_TIMEOUT';

/**
 * The pool could not give the conversation a sandbox in time (`POOL_QUEUE_TIMEOUT`) or at all
 * (`POOL_QUEUE_FULL`). Always retryable.
 */
export class SandboxPoolBusyError extends SandplotError {
  readonly [marker] = true;

  constructor(code: SandboxPoolErrorCode, message: string) {
    super(code, message, { isRetryable: true });
    this.name = 'SandboxPoolBusyError';
  }

  /** True only for a `SandboxPoolBusyError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is SandboxPoolBusyError {
    return hasMarker(error, marker);
  }
}
