import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.session');

/** A session could not be started (`SESSION_FAILED`), or a sandbox or pool was used after `close()` (`SESSION_CLOSED`). */
export class SessionError extends SandplotError {
  readonly [marker] = true;

  constructor(
    message: string,
    options: SandplotErrorOptions & { code?: 'SESSION_FAILED' | 'SESSION_CLOSED' } = {},
  ) {
    super(options.code ?? 'SESSION_FAILED', message, options);
    this.name = 'SessionError';
  }

  /** True only for a `SessionError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is SessionError {
    return hasMarker(error, marker);
  }
}
