import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.backend');

/** The sandbox backend failed (`BACKEND_FAILED`: a process could not start, a service error), or a file asked for is not in the sandbox (`FILE_NOT_FOUND`). */
export class BackendError extends SandplotError {
  readonly [marker] = true;

  constructor(
    message: string,
    options: SandplotErrorOptions & { code?: 'BACKEND_FAILED' | 'FILE_NOT_FOUND' } = {},
  ) {
    super(options.code ?? 'BACKEND_FAILED', message, options);
    this.name = 'BackendError';
  }

  /** True only for a `BackendError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is BackendError {
    return hasMarker(error, marker);
  }
}
