import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.session-store');

/**
 * The pool's session store (e.g. Redis) could not be reached or answered an error
 * (`STORE_UNAVAILABLE`). Retryable: the same call may work once the store is back. `store` names
 * the store.
 */
export class SessionStoreError extends SandplotError {
  readonly [marker] = true;
  readonly store: string;

  constructor(
    store: string,
    message: string,
    options: Omit<SandplotErrorOptions, 'isRetryable'> = {},
  ) {
    super('STORE_UNAVAILABLE', message, { ...options, isRetryable: true });
    this.name = 'SessionStoreError';
    this.store = store;
  }

  /** True only for a `SessionStoreError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is SessionStoreError {
    return hasMarker(error, marker);
  }
}
