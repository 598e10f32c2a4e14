/**
 * Every error sandplot throws is a `SandplotError` with a stable `code`. Errors in the user's
 * Python are never thrown: they are data on `ExecutionResult` (`isError`, `error`).
 * Each code belongs to exactly one error class (see docs/errors.md).
 */
export type SandplotErrorCode =
  | 'INVALID_INPUT'
  | 'CONFIG_INVALID'
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_FAILED'
  | 'FILE_NOT_FOUND'
  | 'SESSION_FAILED'
  | 'SESSION_CLOSED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'SINK_FAILED'
  | 'POOL_QUEUE_FULL'
  | 'POOL_QUEUE_TIMEOUT'
  | 'STORE_UNAVAILABLE';

export interface SandplotErrorOptions {
  cause?: unknown;
  /** Whether the same call may succeed when tried again later. @default false */
  isRetryable?: boolean;
}

const marker = Symbol.for('sandplot.error');

/** The base of every error sandplot throws. */
export class SandplotError extends Error {
  readonly [marker] = true;
  readonly code: SandplotErrorCode;
  readonly isRetryable: boolean;

  constructor(code: SandplotErrorCode, message: string, options: SandplotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandplotError';
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
  }

  /** True for any sandplot error, also one thrown by another copy of the package. */
  static isInstance(error: unknown): error is SandplotError {
    return hasMarker(error, marker);
  }
}

/**
 * True when `error` carries `marker`. Markers are registered symbols (`Symbol.for`), so an error
 * from another copy of the package (two versions in one application) is recognised too.
 */
export function hasMarker(error: unknown, marker: symbol): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[marker] === true
  );
}

/** The message of anything thrown, as a plain string. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
