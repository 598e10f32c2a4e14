import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.timeout');

/** An infrastructure step (not the user's code) ran out of time. Retryable by default. */
export class TimeoutError extends SandplotError {
  readonly [marker] = true;

  constructor(message: string, options: SandplotErrorOptions = {}) {
    super('TIMEOUT', message, { isRetryable: true, ...options });
    this.name = 'SandplotTimeoutError';
  }

  /** True only for a `TimeoutError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is TimeoutError {
    return hasMarker(error, marker);
  }
}
