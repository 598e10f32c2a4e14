import type { ExecutionDisplay } from './display.js';
import type { FigureProblem, StoredFigure } from './figure.js';
import type { StoredFile } from './file.js';

export interface ExecuteOptions {
  /** What the code does, in a few words; kept for logs and tools. */
  description?: string;
  /** Overrides the sandbox's `timeoutMs` for this call. @default the sandbox's `timeoutMs` */
  timeoutMs?: number;
  /** Cancels the call: the running code is interrupted and the promise rejects with an `AbortError`. */
  abortSignal?: AbortSignal;
  /** Run in a fresh session: variables from earlier calls are dropped first. @default false */
  clearContext?: boolean;
  /** User output as it arrives, figure markers already removed. */
  onStdout?: (text: string) => void;
  /** Standard error as it arrives. */
  onStderr?: (text: string) => void;
  /**
   * Each display (the last expression's value, a `display()` call) as the cell makes it, in order
   * with `onStdout`.
   */
  onDisplay?: (display: ExecutionDisplay) => void;
}

/** A Python exception, with line numbers of the user's code. */
export interface PythonError {
  /** Exception class name, e.g. `ZeroDivisionError`; `TimeoutError` and `SandboxCrashed` for those outcomes. */
  name: string;
  /** The message, written for the model that wrote the code: what happened and what it can do. */
  value: string;
  /** Python's traceback, with only the user's cells and the libraries they called. */
  traceback: string;
  /**
   * For the developer, never shown to the model: what would avoid this next time, such as the
   * option that allows more time for a `TimeoutError`. Absent for the code's own exceptions.
   */
  hint?: string;
}

export interface ExecutionResult {
  /** Unique and random; used in sink keys. */
  executionId: string;
  /**
   * User output only: figure markers removed. Output over the sandbox's `maxOutputBytes` keeps its
   * first and last half, with a line in between that says how much was cut
   * (`[… N characters of stdout cut here: …]`); `stdoutTruncatedChars` counts it.
   */
  stdout: string;
  /** Standard error, bounded like `stdout` (see `stderrTruncatedChars`). */
  stderr: string;
  /**
   * Characters (UTF-16 code units) cut from the middle of `stdout` because it was over
   * `maxOutputBytes`; absent when nothing was cut. `onStdout` still saw all of it.
   */
  stdoutTruncatedChars?: number;
  /** The same for `stderr`; absent when nothing was cut. */
  stderrTruncatedChars?: number;
  exitCode: number | null;
  /** The code raised, timed out, or the sandbox died. */
  isError: boolean;
  error?: PythonError;
  durationMs: number;
  /**
   * What the cell showed as a notebook would, in order: its last expression's value (unless the
   * cell ends in `;` or the value is None) and every `display()`; each says where in `stdout` it
   * appeared.
   */
  displays: ExecutionDisplay[];
  /** In the order the code made them. */
  figures: StoredFigure[];
  /**
   * Files the code created or changed in the working directory, stored by the sink, in path
   * order (each once, at its final content).
   */
  files: StoredFile[];
  /** Figures and files that could not be captured or stored, and why. */
  problems: FigureProblem[];
  /** The previous session was lost (expired or crashed): variables from earlier calls are gone. */
  sessionRestarted?: boolean;
  /** With `sessionRestarted`: the files kept from `writeFiles` were written into the new session. */
  inputFilesRestored?: boolean;
}
