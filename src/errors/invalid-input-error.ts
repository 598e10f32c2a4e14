import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.invalid-input');

/** Input that can never work: wrong type, empty, too large. Thrown before any session starts. */
export class InvalidInputError extends SandplotError {
  readonly [marker] = true;

  constructor(message: string, options: SandplotErrorOptions = {}) {
    super('INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
  }

  /** True only for a `InvalidInputError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is InvalidInputError {
    return hasMarker(error, marker);
  }
}
