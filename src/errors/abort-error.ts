import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.abort');

/** The caller's AbortSignal fired. `cause` is the signal's reason. */
export class AbortError extends SandplotError {
  readonly [marker] = true;

  constructor(message: string, options: SandplotErrorOptions = {}) {
    super('ABORTED', message, options);
    this.name = 'SandplotAbortError';
  }

  /** True only for a `AbortError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is AbortError {
    return hasMarker(error, marker);
  }
}
