import type { SandboxBackend } from '../backends/types.js';
import type { FigureProblem, ImageSink, StoredFigure } from '../sinks/types.js';

/** How figures are captured inside the sandbox. */
export interface CaptureOptions {
  /** Capture matplotlib figures. When false, figures stay open and nothing is sent. @default true */
  enabled?: boolean;
  /** Image format figures are saved in. @default 'png' */
  format?: 'png' | 'svg' | 'jpeg';
  /** Resolution figures are saved at. @default 100 */
  dpi?: number;
  /** Figures kept per execution; the rest are listed in `problems`. @default 20 */
  maxFigures?: number;
  /** Largest encoded figure kept; larger ones are listed in `problems`. @default 10485760 (10 MiB) */
  maxFigureBytes?: number;
  /**
   * How figures leave the sandbox. `'stdout'`: base64 in a marker line on stdout, which works
   * with any backend. `'files'`: saved into `.sandplot/figures/{nonce}/` in the sandbox's working
   * directory, announced by a marker of about a hundred bytes (plus the figure's chart data, see
   * `chartData`), then fetched with the session's `readFile` and removed, so stdout stays small
   * (worth it on AgentCore, where stdout also travels in the model-facing result). Needs a
   * backend session with `readFile`.
   * @default 'stdout'
   */
  transport?: 'stdout' | 'files';
  /**
   * Read each figure's chart data in the sandbox (titles, labels, scales and the plotted series,
   * bounded in size) into `chart`, which the execute_python tool summarises for the model. See
   * docs/figure-capture.md, "Chart data".
   * @default true
   */
  chartData?: boolean;
  /**
   * Largest width or height of a figure, in pixels (figure size in inches × `dpi`). A larger
   * figure is not rendered and is listed in `problems`: drawing it costs seconds and hundreds of
   * MB, and model APIs refuse images over 8000 px a side. The host checks PNG and JPEG sizes in
   * the image data again.
   * @default 8000
   */
  maxFigureSidePixels?: number;
}

export interface CodeSandboxOptions {
  /** Where the code runs: `localBackend()`, `agentCoreBackend()`, ... */
  backend: SandboxBackend;
  /** Where figures are stored. @default base64Sink() */
  imageSink?: ImageSink;
  capture?: CaptureOptions;
  /** Time one execution may take before it is interrupted. @default 120000 */
  timeoutMs?: number;
  /** Largest accepted code, in UTF-8 bytes. @default 1048576 (1 MiB) */
  maxCodeBytes?: number;
}

export interface ExecuteOptions {
  /** What the code does, in a few words; kept for logs and tools. */
  description?: string;
  /** Overrides the sandbox's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Cancels the call: the running code is interrupted and the promise rejects with an `AbortError`. */
  abortSignal?: AbortSignal;
  /** Run in a fresh session: variables from earlier calls are dropped first. @default false */
  clearContext?: boolean;
  /** User output as it arrives, figure markers already removed. */
  onStdout?: (text: string) => void;
  /** Standard error as it arrives. */
  onStderr?: (text: string) => void;
}

/** A Python exception, with line numbers of the user's code. */
export interface PythonError {
  /** Exception class name, e.g. `ZeroDivisionError`; `TimeoutError` and `SandboxCrashed` for those outcomes. */
  name: string;
  value: string;
  traceback: string;
}

export interface ExecutionResult {
  /** Unique and random; used in sink keys. */
  executionId: string;
  /** User output only: figure markers removed. */
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** The code raised, timed out, or the sandbox died. */
  isError: boolean;
  error?: PythonError;
  durationMs: number;
  /** In the order the code made them. */
  figures: StoredFigure[];
  /** Figures that could not be captured or stored, and why. */
  problems: FigureProblem[];
  /** The previous session was lost (expired or crashed): variables from earlier calls are gone. */
  sessionRestarted?: boolean;
}
