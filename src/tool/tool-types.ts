import type { SandplotError, SandplotErrorCode } from '../errors/index.js';
import type { ExecuteOptions, ExecutionResult } from '../types/index.js';
import type { FigureLedger, LedgerFigure } from './figure-ledger.js';
import type { ConversationIdOption, ExecutePythonPool } from './pool-target.js';
import type { executePythonInputSchema, JsonSchema } from './tool-input.js';

/** What the model sends to execute_python. */
export interface ExecutePythonInput {
  code: string;
  description?: string | undefined;
}

/** An image for a multimodal model: one figure's bytes. */
export interface ToolImage {
  /** The figure's reference number, as in the text (`figure 2` → 2). */
  ref: number;
  mediaType: 'image/png' | 'image/jpeg';
  /** `png` or `jpeg`: the format name model APIs use (Converse, Strands ImageBlock). */
  format: 'png' | 'jpeg';
  data: Uint8Array;
}

/** What the model gets back from one call, framework-neutral. Adapters map it to their shapes. */
export interface ExecutePythonToolOutput {
  /**
   * stdout/stderr, the Python error, one line per figure, problems: all within `maxOutputChars`.
   * No base64.
   */
  text: string;
  /** Figure bytes to attach as image content (see `imagesForModel`). */
  images: ToolImage[];
  /** The code raised, timed out, the sandbox died, the input was invalid or the sandbox failed. */
  isError: boolean;
  /** The execution's result; absent when the input was invalid or the sandbox failed before running. */
  result?: ExecutionResult;
  /** This call's figures, with the references the model saw. */
  figures: LedgerFigure[];
  /** For calls that did not run the code: `INVALID_INPUT`, or the SandplotError's code. */
  errorCode?: SandplotErrorCode;
  /**
   * For calls that did not run the code because of a SandplotError: the error, with the message
   * meant for the developer (e.g. which option gives a pool call its conversation id).
   */
  error?: SandplotError;
  /** The conversation the call ran in, when it is known (always, on a pool). */
  conversationId?: string;
}

/** The part of CodeSandbox the tool uses; a CodeSandbox fits. */
export interface ExecutePythonSandbox {
  executePython(code: string, options?: ExecuteOptions): Promise<ExecutionResult>;
  /** The backend's name, recorded on the span (a CodeSandbox has it). */
  readonly backendName?: string;
  /** The current session's id, recorded on the span (a CodeSandbox has it). */
  readonly sessionId?: string | undefined;
  /** The files given with `writeFiles` (a CodeSandbox has them), listed in the description. */
  readonly inputFiles?: readonly { path: string; byteLength: number }[];
}

/** What the tool runs on: one sandbox (one conversation), or a pool (a sandbox per conversation). */
export type ExecutePythonTarget = ExecutePythonSandbox | ExecutePythonPool;

export interface ExecutePythonToolOptions<TContext = unknown> {
  /** The tool's name: 1-64 letters, digits, `_` or `-`. @default 'execute_python' */
  name?: string;
  /** Replaces the default description the model reads. @default DEFAULT_TOOL_DESCRIPTION */
  description?: string;
  /** Added to the default description, e.g. which files are in the working directory. */
  extraDescription?: string;
  /**
   * Tell the model, at the end of the description, which input files the sandbox has (their
   * names and sizes, from `writeFiles`), so it does not have to ask or look. The description is
   * read again each time, so it follows later `writeFiles` calls. On a pool, where each
   * conversation has its own files, nothing is listed.
   * @default true
   */
  listInputFiles?: boolean;
  /**
   * Characters of the whole text the model sees: output, error and traceback, figure lines and
   * chart summaries, problems and notes. The parts share it fairly; a part cut to fit keeps its
   * head and tail and says how much was cut. @default 20000
   */
  maxOutputChars?: number;
  /**
   * Characters of the Python error message, and of its traceback (whose end is kept), within
   * `maxOutputChars`. @default 4000
   */
  maxTracebackChars?: number;
  /**
   * Figure bytes as image content for multimodal models.
   * - `auto`: attach PNG/JPEG figures whose bytes are at hand (the base64 sink keeps them; a
   *   local-dir sink's file is read), within `maxImageBytes` and `maxImages`.
   * - `always`: like `auto`, and also downloads figures the sink kept no bytes for from their
   *   http(s) URL (e.g. the S3 sink's presigned URL).
   * - `never`: text only.
   * A figure that is not attached says why in the text.
   * @default 'auto'
   */
  imagesForModel?: 'auto' | 'always' | 'never';
  /** Largest figure attached as an image (Bedrock and Anthropic accept up to 3.75 MB). @default 3750000 */
  maxImageBytes?: number;
  /** Images attached per call. @default 10 */
  maxImages?: number;
  /** Put each figure's http(s) URL in the text. data: and file: URLs never are. @default true */
  includeFigureUrls?: boolean;
  /**
   * Characters of chart summary per figure (what it plots, from `figure.chart`), so a model
   * without vision can check its figures, within `maxOutputChars`; 0 leaves the summaries out.
   * @default 1500
   */
  maxChartSummaryChars?: number;
  /** Time each call may take; overrides the sandbox's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * What to do when the sandbox throws a SandplotError (the infrastructure failed, not the code):
   * `result` answers the model with an error result that says so, `throw` rethrows.
   * Aborts (`ABORTED`) and errors that are not SandplotErrors always rethrow.
   * @default 'result'
   */
  onSandboxError?: 'result' | 'throw';
  /**
   * The conversation of each call: a string, or a function of the call's context (what the
   * adapter knows: LangChain's RunnableConfig, Strands' ToolContext, ...). With a pool it picks
   * the conversation's sandbox and figure ledger; a call without one is answered with an error
   * result (and a `ConfigError` in `output.error`, a process warning once, or a throw with
   * `onSandboxError: 'throw'`). With a sandbox it is only recorded on the span. A call's own
   * `conversationId` (InvokeOptions) comes first.
   */
  conversationId?: ConversationIdOption<TContext>;
  /**
   * How this tool finds the conversation id, added to the developer error when a pool call has
   * none (adapters set it, e.g. "pass { configurable: { thread_id } }").
   */
  conversationIdHelp?: string;
  /**
   * Make an OpenTelemetry span per call on a sandbox (`withExecutionSpan`). A pool makes its own
   * span for each call (see its `tracing` option), so the tool adds none. @default true
   */
  tracing?: boolean;
}

export interface InvokeOptions<TContext = unknown> {
  abortSignal?: AbortSignal;
  /** User output as it arrives. */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
  /** The framework's id of this tool call, recorded on the span. */
  toolCallId?: string;
  /** The conversation of this call; comes before the tool's `conversationId` option. */
  conversationId?: string;
  /** What the adapter knows about this call, handed to a `conversationId` function. */
  context?: TContext;
}

/** A framework-neutral execute_python tool. Adapters wrap it for Strands, LangChain, Converse. */
export interface ExecutePythonTool<TContext = unknown> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: typeof executePythonInputSchema;
  readonly jsonSchema: JsonSchema;
  /** The sandbox the tool runs on. On a pool, reading it throws a ConfigError (use `pool`). */
  readonly sandbox: ExecutePythonSandbox;
  /** The pool the tool runs on; undefined on a sandbox. */
  readonly pool: ExecutePythonPool | undefined;
  /**
   * The sandbox's figure ledger, shared by every tool made for the same sandbox. On a pool each
   * conversation has its own (`ledgerFor(conversationId)`), and reading this throws a ConfigError.
   */
  readonly ledger: FigureLedger;
  /** The figures made so far through this sandbox's tools (`ledger.figures`). On a pool: `figuresFor`. */
  readonly figures: readonly LedgerFigure[];
  /**
   * The figure ledger of a conversation: on a pool, `getFigureLedger(pool, conversationId)`,
   * shared by every tool made for the pool, numbered per conversation; on a sandbox, the
   * sandbox's ledger (a sandbox is one conversation).
   */
  ledgerFor(conversationId: string): FigureLedger;
  /** The figures made so far in a conversation (`ledgerFor(conversationId).figures`). */
  figuresFor(conversationId: string): readonly LedgerFigure[];
  /**
   * Forgets a conversation's figures: on a pool its ledger is dropped (call it when the
   * conversation is over); on a sandbox the ledger is cleared.
   */
  forgetConversation(conversationId: string): void;
  /**
   * Validates the input, runs it and builds the model-facing output. Throws only on abort. The
   * input is checked at run time as well: what a model sends is untyped, and input that is not
   * `{ code, description? }` is answered with an error result (`errorCode: 'INVALID_INPUT'`).
   * Adapters that hold the model's raw arguments pass them as they are.
   */
  invoke(
    input: ExecutePythonInput,
    options?: InvokeOptions<TContext>,
  ): Promise<ExecutePythonToolOutput>;
}
