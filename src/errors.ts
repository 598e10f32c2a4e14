/**
 * Every error sandplot throws is a `SandplotError` with a stable `code`. Errors in the user's
 * Python are never thrown: they are data on `ExecutionResult` (`isError`, `error`).
 */
export type SandplotErrorCode =
  | 'INVALID_INPUT'
  | 'CONFIG_INVALID'
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_FAILED'
  | 'SESSION_FAILED'
  | 'SESSION_CLOSED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'SINK_FAILED'
  | 'FILE_NOT_FOUND'
  | 'POOL_QUEUE_FULL'
  | 'POOL_QUEUE_TIMEOUT';

export interface SandplotErrorOptions {
  cause?: unknown;
  /** Whether the same call may succeed when tried again later. @default false */
  isRetryable?: boolean;
}

const marker = Symbol.for('sandplot.error');

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
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true
    );
  }
}

/** Input that can never work: wrong type, empty, too large. Thrown before any session starts. */
export class InvalidInputError extends SandplotError {
  constructor(message: string, options: SandplotErrorOptions = {}) {
    super('INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
  }
}

/** An option is wrong or something the configuration needs is missing on this machine. */
export class ConfigError extends SandplotError {
  constructor(
    message: string,
    options: SandplotErrorOptions & { code?: 'CONFIG_INVALID' | 'BACKEND_UNAVAILABLE' } = {},
  ) {
    super(options.code ?? 'CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

/** The sandbox backend failed (process could not start, service error). */
export class BackendError extends SandplotError {
  constructor(
    message: string,
    options: SandplotErrorOptions & {
      code?: 'BACKEND_FAILED' | 'BACKEND_UNAVAILABLE' | 'FILE_NOT_FOUND';
    } = {},
  ) {
    super(options.code ?? 'BACKEND_FAILED', message, options);
    this.name = 'BackendError';
  }
}

/** A session could not be started, or was used after `close()`. */
export class SessionError extends SandplotError {
  constructor(
    message: string,
    options: SandplotErrorOptions & { code?: 'SESSION_FAILED' | 'SESSION_CLOSED' } = {},
  ) {
    super(options.code ?? 'SESSION_FAILED', message, options);
    this.name = 'SessionError';
  }
}

/** An infrastructure step (not the user's code) ran out of time. */
export class TimeoutError extends SandplotError {
  constructor(message: string, options: SandplotErrorOptions = {}) {
    super('TIMEOUT', message, { isRetryable: true, ...options });
    this.name = 'SandplotTimeoutError';
  }
}

/** The caller's AbortSignal fired. `cause` is the signal's reason. */
export class AbortError extends SandplotError {
  constructor(message: string, options: SandplotErrorOptions = {}) {
    super('ABORTED', message, options);
    this.name = 'SandplotAbortError';
  }
}

/** An image sink could not store a figure. */
export class SinkError extends SandplotError {
  readonly sink: string;
  constructor(sink: string, message: string, options: SandplotErrorOptions = {}) {
    super('SINK_FAILED', message, options);
    this.name = 'SinkError';
    this.sink = sink;
  }
}

/** The message of anything thrown, as a plain string. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
