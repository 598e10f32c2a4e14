import { readFile } from 'node:fs/promises';
import { emitWarning } from 'node:process';
import { z } from 'zod';
import { summarizeChart } from '../capture/chart-summary.js';
import { errorMessage, SandplotError, type SandplotErrorCode } from '../errors/index.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import { withExecutionSpan } from '../observability/execution-span.js';
import type { PoolExecuteOptions } from '../sandbox/pool.js';
import type { ExecuteOptions, ExecutionResult, FigureProblem } from '../types/index.js';
import {
  type FigureLedger,
  forgetFigureLedger,
  getFigureLedger,
  isShareableUrl,
  type LedgerFigure,
} from './figure-ledger.js';
import {
  type ConversationIdOption,
  type ExecutePythonPool,
  isExecutePythonPool,
  lookUpConversationId,
  MISSING_CONVERSATION_ID_TEXT,
  missingConversationIdError,
} from './pool-target.js';
import { clipLine, formatBytes, scrubBase64, splitBudget, truncateMiddle } from './text.js';

/** What the model sends to execute_python. */
export interface ExecutePythonInput {
  code: string;
  description?: string | undefined;
}

/** The zod schema of the tool's input (zod 4). */
export const executePythonInputSchema = z.object({
  code: z
    .string()
    .min(1)
    .describe(
      'The Python code to run. Variables, imports and files persist between calls. Print what you want to see; figures are captured automatically.',
    ),
  description: z
    .string()
    .optional()
    .describe('What the code does, in a few words (shown in logs).'),
});

/** The tool's input schema as JSON Schema (draft 2020-12), for frameworks that take JSON Schema. */
export type JsonSchema = Record<string, unknown>;

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
  /** stdout/stderr within the budget, the Python error, one line per figure, problems. No base64. */
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
}

/** What the tool runs on: one sandbox (one conversation), or a pool (a sandbox per conversation). */
export type ExecutePythonTarget = ExecutePythonSandbox | ExecutePythonPool;

export interface ExecutePythonToolOptions<TContext = unknown> {
  /** The tool's name. @default 'execute_python' */
  name?: string;
  /** Replaces the default description the model reads. */
  description?: string;
  /** Added to the default description, e.g. which files are in the working directory. */
  extraDescription?: string;
  /** Characters of stdout plus stderr the model sees; the middle of longer output is cut. @default 20000 */
  maxOutputChars?: number;
  /** Characters of the Python traceback the model sees; its end is kept. @default 4000 */
  maxTracebackChars?: number;
  /**
   * Figure bytes as image content for multimodal models.
   * - `auto` (default): attach PNG/JPEG figures whose bytes are at hand (the base64 sink keeps
   *   them; a local-dir sink's file is read), within `maxImageBytes` and `maxImages`.
   * - `always`: like `auto`, and also downloads figures the sink kept no bytes for from their
   *   http(s) URL (e.g. the S3 sink's presigned URL).
   * - `never`: text only.
   * A figure that is not attached says why in the text.
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
   * without vision can check its figures; 0 leaves the summaries out. @default 1500
   */
  maxChartSummaryChars?: number;
  /** Time each call may take; overrides the sandbox's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * What to do when the sandbox throws a SandplotError (the infrastructure failed, not the code):
   * `result` (default) answers the model with an error result that says so, `throw` rethrows.
   * Aborts (`ABORTED`) and errors that are not SandplotErrors always rethrow.
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
  /** Validates the input, runs it and builds the model-facing output. Throws only on abort. */
  invoke(input: unknown, options?: InvokeOptions<TContext>): Promise<ExecutePythonToolOutput>;
}

export const DEFAULT_TOOL_NAME = 'execute_python';
const DEFAULT_MAX_OUTPUT_CHARS = 20_000;
const DEFAULT_MAX_TRACEBACK_CHARS = 4_000;
const DEFAULT_MAX_IMAGE_BYTES = 3_750_000;
const DEFAULT_MAX_IMAGES = 10;
const DEFAULT_MAX_CHART_SUMMARY_CHARS = 1_500;
// Fields the sandboxed code controls that have no budget of their own: bounded so that they
// cannot carry more text to the model than the stdout budget lets the code print.
const MAX_TITLE_CHARS = 200;
const MAX_ERROR_NAME_CHARS = 200;
const MAX_PROBLEM_CHARS = 500;
const MAX_PROBLEMS_LISTED = 20;
const FETCH_TIMEOUT_MS = 30_000;

/** The description the model reads by default. */
export const DEFAULT_TOOL_DESCRIPTION = [
  'Run Python code in a sandboxed, stateful Python session and get back its output.',
  'Python 3 with pandas, numpy and matplotlib is available.',
  'Variables, imports and files persist between calls: build on earlier results instead of recomputing them.',
  'Print the values you want to see; very long output is shortened in the middle.',
  'Every matplotlib figure is captured automatically when the code finishes (or at plt.show()): there is no need to save, encode or print figures, just make them, with a title.',
  'Figures come back as images and are listed as "figure N" (with a link when there is one); refer to them by that name.',
].join(' ');

const optionsSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      .optional(),
    description: z.string().min(1).optional(),
    extraDescription: z.string().optional(),
    maxOutputChars: z.number().int().min(200).optional(),
    maxTracebackChars: z.number().int().min(200).optional(),
    imagesForModel: z.enum(['auto', 'always', 'never']).optional(),
    maxImageBytes: z.number().int().positive().optional(),
    maxImages: z.number().int().nonnegative().optional(),
    includeFigureUrls: z.boolean().optional(),
    maxChartSummaryChars: z.number().int().nonnegative().optional(),
    timeoutMs: z.number().int().positive().optional(),
    onSandboxError: z.enum(['result', 'throw']).optional(),
    conversationId: z
      .custom<ConversationIdOption>(
        (value) => (typeof value === 'string' && value.length > 0) || typeof value === 'function',
        { message: 'must be a non-empty string or a function that returns one' },
      )
      .optional(),
    conversationIdHelp: z.string().min(1).optional(),
    tracing: z.boolean().optional(),
  })
  .strict();

/**
 * Makes the framework-neutral execute_python tool for a sandbox, or for a sandbox pool with a way
 * to find each call's conversation (`conversationId`). Errors in the Python code, invalid input
 * and (by default) sandbox failures become error results the model can read; only aborts throw.
 * See docs/adapters.md.
 */
export function createExecutePythonTool<TContext = unknown>(
  target: ExecutePythonTarget,
  options: ExecutePythonToolOptions<TContext> = {},
): ExecutePythonTool<TContext> {
  if (
    typeof target !== 'object' ||
    target === null ||
    typeof (target as { executePython?: unknown }).executePython !== 'function'
  ) {
    throw new SandplotError(
      'CONFIG_INVALID',
      'createExecutePythonTool expects a CodeSandbox (or an object with executePython()) or a sandbox pool (createSandboxPool()) as its first argument.',
    );
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new SandplotError(
      'CONFIG_INVALID',
      `Invalid execute_python tool options: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; ')}.`,
      { cause: parsed.error },
    );
  }
  const settings: Required<
    Omit<
      ExecutePythonToolOptions,
      | 'timeoutMs'
      | 'description'
      | 'extraDescription'
      | 'conversationId'
      | 'conversationIdHelp'
      | 'tracing'
    >
  > & {
    timeoutMs: number | undefined;
  } = {
    name: options.name ?? DEFAULT_TOOL_NAME,
    maxOutputChars: options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
    maxTracebackChars: options.maxTracebackChars ?? DEFAULT_MAX_TRACEBACK_CHARS,
    imagesForModel: options.imagesForModel ?? 'auto',
    maxImageBytes: options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES,
    maxImages: options.maxImages ?? DEFAULT_MAX_IMAGES,
    includeFigureUrls: options.includeFigureUrls ?? true,
    maxChartSummaryChars: options.maxChartSummaryChars ?? DEFAULT_MAX_CHART_SUMMARY_CHARS,
    timeoutMs: options.timeoutMs,
    onSandboxError: options.onSandboxError ?? 'result',
  };
  const description =
    (options.description ?? DEFAULT_TOOL_DESCRIPTION) +
    (options.extraDescription ? ` ${options.extraDescription}` : '');
  const pool = isExecutePythonPool(target) ? target : undefined;
  const sandbox = pool ? undefined : (target as ExecutePythonSandbox);
  const sandboxLedger = sandbox ? getFigureLedger(sandbox) : undefined;
  const tracing = options.tracing ?? true;
  let warnedMissingConversation = false;
  const jsonSchema = z.toJSONSchema(executePythonInputSchema, {
    target: 'draft-2020-12',
  }) as JsonSchema;
  const ledgerFor = (conversationId: string): FigureLedger => {
    if (sandboxLedger) return sandboxLedger;
    if (typeof conversationId !== 'string' || conversationId.length === 0) {
      throw new SandplotError(
        'INVALID_INPUT',
        `${settings.name}: ledgerFor/figuresFor need a non-empty conversation id.`,
      );
    }
    return getFigureLedger(target, conversationId);
  };
  const onPool = (what: string): never => {
    throw new SandplotError(
      'CONFIG_INVALID',
      `This ${settings.name} tool runs on a sandbox pool, which has no single ${what}: use ${what === 'sandbox' ? 'tool.pool' : `tool.${what === 'ledger' ? 'ledgerFor' : 'figuresFor'}(conversationId)`} instead.`,
    );
  };

  const tool: ExecutePythonTool<TContext> = {
    name: settings.name,
    description,
    inputSchema: executePythonInputSchema,
    jsonSchema,
    pool,
    get sandbox() {
      return sandbox ?? onPool('sandbox');
    },
    get ledger() {
      return sandboxLedger ?? onPool('ledger');
    },
    get figures() {
      return sandboxLedger ? sandboxLedger.figures : onPool('figures');
    },
    ledgerFor,
    figuresFor(conversationId) {
      return ledgerFor(conversationId).figures;
    },
    forgetConversation(conversationId) {
      if (sandboxLedger) sandboxLedger.clear();
      else forgetFigureLedger(target, conversationId);
    },
    async invoke(input, invokeOptions = {}) {
      const checked = executePythonInputSchema.safeParse(input);
      if (!checked.success) {
        return invalidInput(
          settings.name,
          checked.error.issues
            .map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`)
            .join('; '),
        );
      }
      const { code, description: what } = checked.data;
      const lookup = lookUpConversationId(options.conversationId, invokeOptions);
      const conversationId = lookup.conversationId;
      if (pool && conversationId === undefined) {
        const error = missingConversationIdError(
          settings.name,
          options.conversationIdHelp,
          'cause' in lookup ? lookup.cause : undefined,
        );
        if (settings.onSandboxError === 'throw') throw error;
        if (!warnedMissingConversation) {
          warnedMissingConversation = true;
          emitWarning(error.message, { code: 'SANDPLOT_NO_CONVERSATION_ID' });
        }
        return {
          text: MISSING_CONVERSATION_ID_TEXT,
          images: [],
          isError: true,
          figures: [],
          errorCode: error.code,
          error,
        };
      }
      const executeOptions: ExecuteOptions = {
        ...(what === undefined ? {} : { description: what }),
        ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
        ...(invokeOptions.abortSignal ? { abortSignal: invokeOptions.abortSignal } : {}),
        ...(invokeOptions.onStdout ? { onStdout: invokeOptions.onStdout } : {}),
        ...(invokeOptions.onStderr ? { onStderr: invokeOptions.onStderr } : {}),
      };
      let result: ExecutionResult;
      try {
        if (pool) {
          const poolOptions: PoolExecuteOptions = {
            ...executeOptions,
            ...(invokeOptions.toolCallId === undefined
              ? {}
              : { toolCallId: invokeOptions.toolCallId }),
          };
          // The pool makes the span of the call (with the conversation and the tool call id).
          result = await pool.executePython(conversationId as string, code, poolOptions);
        } else {
          const box = sandbox as ExecutePythonSandbox;
          result = tracing
            ? await withExecutionSpan(
                withoutUndefined({
                  toolName: settings.name,
                  backend: box.backendName ?? 'unknown',
                  code,
                  conversationId,
                  toolCallId: invokeOptions.toolCallId,
                  description: what,
                }),
                () => box.executePython(code, executeOptions),
                { sessionId: () => box.sessionId },
              )
            : await box.executePython(code, executeOptions);
        }
      } catch (error) {
        if (!SandplotError.isInstance(error) || error.code === 'ABORTED') throw error;
        if (error.code === 'INVALID_INPUT') return invalidInput(settings.name, error.message);
        if (settings.onSandboxError === 'throw') throw error;
        return withConversation(sandboxFailure(error), conversationId);
      }
      const ledger = sandboxLedger ?? getFigureLedger(target, conversationId as string);
      const figures = ledger.record(result.figures, {
        executionId: result.executionId,
        ...(what === undefined ? {} : { description: what }),
      });
      return withConversation(
        await buildToolOutput(result, figures, settings, invokeOptions.abortSignal),
        conversationId,
      );
    },
  };
  return tool;
}

function withConversation(
  output: ExecutePythonToolOutput,
  conversationId: string | undefined,
): ExecutePythonToolOutput {
  if (conversationId !== undefined) output.conversationId = conversationId;
  return output;
}

function invalidInput(name: string, reason: string): ExecutePythonToolOutput {
  return {
    text: `Invalid input for ${name}: ${reason}. Call it again with {"code": "<Python code>"} (and optionally "description"). The code did not run.`,
    images: [],
    isError: true,
    figures: [],
    errorCode: 'INVALID_INPUT',
  };
}

function sandboxFailure(error: SandplotError): ExecutePythonToolOutput {
  const advice =
    error.code === 'SESSION_CLOSED'
      ? 'The sandbox is closed; no more code can run in this conversation.'
      : error.isRetryable
        ? 'This is not a problem in your code; trying again later may work.'
        : 'This is not a problem in your code; tell the user that the Python sandbox is unavailable.';
  return {
    text: `The Python sandbox failed (${error.code}) and the code did not run: ${error.message} ${advice}`,
    images: [],
    isError: true,
    figures: [],
    errorCode: error.code,
    error,
  };
}

interface OutputSettings {
  maxOutputChars: number;
  maxTracebackChars: number;
  imagesForModel: 'auto' | 'always' | 'never';
  maxImageBytes: number;
  maxImages: number;
  includeFigureUrls: boolean;
  maxChartSummaryChars: number;
}

/**
 * Builds the model-facing output of one execution: the text (stdout/stderr within the budget, the
 * error, one line per figure, the problems) and the images. Exported for adapters and tests.
 */
export async function buildToolOutput(
  result: ExecutionResult,
  figures: readonly LedgerFigure[],
  settings: Partial<OutputSettings> = {},
  abortSignal?: AbortSignal,
): Promise<ExecutePythonToolOutput> {
  const config: OutputSettings = {
    maxOutputChars: settings.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
    maxTracebackChars: settings.maxTracebackChars ?? DEFAULT_MAX_TRACEBACK_CHARS,
    imagesForModel: settings.imagesForModel ?? 'auto',
    maxImageBytes: settings.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES,
    maxImages: settings.maxImages ?? DEFAULT_MAX_IMAGES,
    includeFigureUrls: settings.includeFigureUrls ?? true,
    maxChartSummaryChars: settings.maxChartSummaryChars ?? DEFAULT_MAX_CHART_SUMMARY_CHARS,
  };
  const sections: string[] = [];
  if (result.sessionRestarted) {
    sections.push(
      'Note: the sandbox was restarted before this call: variables, imports and files from earlier calls are gone; recompute what you need.',
    );
  }

  const stdout = scrubBase64(result.stdout);
  // The sandbox also prints the traceback to stderr; the error section below carries it once.
  const traceback = result.error?.traceback.trim() ?? '';
  const stderr = scrubBase64(
    traceback.length > 0 && result.stderr.includes(traceback)
      ? result.stderr.replace(traceback, '').trim()
      : result.stderr,
  );
  const budget = splitBudget(stdout.length, stderr.length, config.maxOutputChars);
  if (stdout.length > 0) {
    sections.push(`stdout:\n${truncateMiddle(stdout, budget.first, { label: 'stdout' })}`);
  }
  if (stderr.length > 0) {
    sections.push(`stderr:\n${truncateMiddle(stderr, budget.second, { label: 'stderr' })}`);
  }

  if (result.error) {
    const { name, value, traceback } = result.error;
    const message = truncateMiddle(scrubBase64(value), config.maxTracebackChars, {
      label: 'the error message',
    });
    let block = `Error: ${clipLine(name, MAX_ERROR_NAME_CHARS)}: ${message}`;
    const trimmed = scrubBase64(traceback.trimEnd());
    if (trimmed.length > 0) {
      block += `\n${truncateMiddle(trimmed, config.maxTracebackChars, { label: 'the traceback', headShare: 0.2 })}`;
    }
    sections.push(block);
  } else if (result.isError) {
    sections.push(`Error: the code exited with code ${result.exitCode ?? 'unknown'}.`);
  }

  const images: ToolImage[] = [];
  const notAttached = new Map<number, string>();
  if (config.imagesForModel !== 'never') {
    const bytes = new Map(result.figures.map((figure) => [figure.index, figure.data]));
    for (const figure of figures) {
      const outcome = await imageFor(
        figure,
        bytes.get(figure.index),
        config,
        images.length,
        abortSignal,
      );
      if ('image' in outcome) images.push(outcome.image);
      else notAttached.set(figure.ref, outcome.reason);
    }
  }

  if (figures.length > 0) {
    const lines = figures.map((figure) => {
      const parts = [figure.label];
      if (figure.title) parts.push(JSON.stringify(clipLine(figure.title, MAX_TITLE_CHARS)));
      if (figure.width && figure.height) parts.push(`${figure.width}×${figure.height} px`);
      if (config.imagesForModel !== 'never') {
        const reason = notAttached.get(figure.ref);
        parts.push(reason ? `not attached as an image: ${reason}` : 'attached as an image');
      }
      if (config.includeFigureUrls && isShareableUrl(figure.url)) parts.push(figure.url);
      return `- ${parts.join(', ')}${chartLines(figure, config.maxChartSummaryChars)}`;
    });
    sections.push(
      `Figures (captured automatically; refer to them as "figure N"):\n${lines.join('\n')}`,
    );
  }

  if (result.problems.length > 0) {
    const byIndex = new Map(figures.map((figure) => [figure.index, figure]));
    const listed = result.problems
      .slice(0, MAX_PROBLEMS_LISTED)
      .map((problem) => `- ${describeProblem(problem, byIndex)}`);
    const unlisted = result.problems.length - listed.length;
    if (unlisted > 0) listed.push(`- … and ${unlisted} more (see result.problems)`);
    sections.push(`Figures not delivered:\n${listed.join('\n')}`);
  }

  if (sections.length === 0 || (stdout.length === 0 && stderr.length === 0 && !result.isError)) {
    sections.unshift(
      figures.length > 0
        ? 'The code ran without printing anything.'
        : 'The code ran without printing anything and made no figures.',
    );
  }

  return {
    text: sections.join('\n\n'),
    images,
    isError: result.isError,
    result,
    figures: [...figures],
  };
}

// The figure's chart summary as indented lines under its figure line ('' when there is none).
function chartLines(figure: LedgerFigure, maxChars: number): string {
  if (maxChars === 0) return '';
  let summary: string;
  if (figure.chart) summary = `what it plots:\n${summarizeChart(figure.chart, { maxChars })}`;
  else if (figure.chartProblem) {
    summary = `what it plots: unknown (${clipLine(figure.chartProblem, 300)})`;
  } else return '';
  return `\n${scrubBase64(summary)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`;
}

function describeProblem(problem: FigureProblem, figures: Map<number, LedgerFigure>): string {
  const which =
    problem.index === undefined
      ? 'a figure'
      : (figures.get(problem.index)?.label ?? `figure #${problem.index + 1} of this call`);
  const where = problem.sink ? ` (sink ${problem.sink})` : '';
  return `${which}: ${problem.stage} failed${where}: ${clipLine(scrubBase64(problem.reason), MAX_PROBLEM_CHARS)}`;
}

async function imageFor(
  figure: LedgerFigure,
  bytes: Uint8Array | undefined,
  config: OutputSettings,
  attached: number,
  abortSignal: AbortSignal | undefined,
): Promise<{ image: ToolImage } | { reason: string }> {
  const format =
    figure.mediaType === 'image/png'
      ? 'png'
      : figure.mediaType === 'image/jpeg'
        ? 'jpeg'
        : undefined;
  if (!format) return { reason: `${figure.mediaType} is not an image format models accept` };
  if (attached >= config.maxImages)
    return { reason: `over the limit of ${config.maxImages} images per call` };
  if (figure.byteLength > config.maxImageBytes) {
    return {
      reason: `${formatBytes(figure.byteLength)}, over the image budget of ${formatBytes(config.maxImageBytes)}`,
    };
  }
  let data: Uint8Array | undefined = bytes;
  try {
    if (!data && figure.path) data = new Uint8Array(await readFile(figure.path));
    if (!data && config.imagesForModel === 'always' && isShareableUrl(figure.url)) {
      data = await download(figure.url, config.maxImageBytes, abortSignal);
    }
  } catch (error) {
    if (abortSignal?.aborted) throw error;
    return { reason: `its bytes could not be read (${errorMessage(error)})` };
  }
  if (!data)
    return { reason: 'the image sink kept no bytes (imagesForModel "always" downloads them)' };
  if (data.byteLength > config.maxImageBytes) {
    return {
      reason: `${formatBytes(data.byteLength)}, over the image budget of ${formatBytes(config.maxImageBytes)}`,
    };
  }
  return {
    image: { ref: figure.ref, mediaType: figure.mediaType as ToolImage['mediaType'], format, data },
  };
}

async function download(
  url: string,
  maxBytes: number,
  abortSignal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const signals = [AbortSignal.timeout(FETCH_TIMEOUT_MS)];
  if (abortSignal) signals.push(abortSignal);
  const response = await fetch(url, { signal: AbortSignal.any(signals) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(url).host}`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > maxBytes) {
    await response.body?.cancel();
    throw new Error(`${formatBytes(length)}, over the image budget`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
