import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.config');

/** An option is wrong (`CONFIG_INVALID`), or something the configuration needs is missing on this machine or account (`BACKEND_UNAVAILABLE`: no bubblewrap, no Python with matplotlib, no AWS credentials, an optional package not installed). */
export class ConfigError extends SandplotError {
  readonly [marker] = true;

  constructor(
    message: string,
    options: SandplotErrorOptions & { code?: 'CONFIG_INVALID' | 'BACKEND_UNAVAILABLE' } = {},
  ) {
    super(options.code ?? 'CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }

  /** True only for a `ConfigError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is ConfigError {
    return hasMarker(error, marker);
  }
}
