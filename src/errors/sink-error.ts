import { hasMarker, SandplotError, type SandplotErrorOptions } from './sandplot-error.js';

const marker = Symbol.for('sandplot.error.sink');

/** An image sink could not store a figure (`SINK_FAILED`). `sink` names the sink. */
export class SinkError extends SandplotError {
  readonly [marker] = true;
  readonly sink: string;

  constructor(sink: string, message: string, options: SandplotErrorOptions = {}) {
    super('SINK_FAILED', message, options);
    this.name = 'SinkError';
    this.sink = sink;
  }

  /** True only for a `SinkError` (also one thrown by another copy of the package). */
  static override isInstance(error: unknown): error is SinkError {
    return hasMarker(error, marker);
  }
}
