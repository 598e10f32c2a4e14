import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.invalid-input');

export interface InvalidInputErrorOptions extends SandplotErrorOptions {
  /** What a model that sent this input should read (see `InvalidInputError.modelMessage`). */
  modelMessage?: string;
}

/** Input that can never work: wrong type, empty, too large. Thrown before any session starts. */
export class InvalidInputError extends SandplotError {
  readonly [marker] = true;
  /**
   * The problem as the model that wrote the code should read it: what it can change (shorter
   * code, several calls), without the options only the developer can change, which `message`
   * names. The execute_python tool answers the model with it. Absent when the input did not
   * come from a model's code.
   */
  readonly modelMessage: string | undefined;

  constructor(message: string, options: InvalidInputErrorOptions = {}) {
    const { modelMessage, ...rest } = options;
    super('INVALID_INPUT', message, rest);
    this.name = 'InvalidInputError';
    this.modelMessage = modelMessage;
  }

  /** True only for a `InvalidInputError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is InvalidInputError {
    return hasMarker(error, marker);
  }
}
