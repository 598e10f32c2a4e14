import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { BackendRunResult, BackendSession, SandboxFile } from '../backends/types.js';
import { admitFigures, type FigureAdmission } from '../capture/admit-figures.js';
import { captureOptionsSchema, DEFAULT_CAPTURE } from '../capture/capture-options.js';
import { figureFilePath, figureFilesFolder } from '../capture/figure-files.js';
import { checkFigureData, createFigureMarkerParser } from '../capture/parse-markers.js';
import { createNonce, wrapPythonCode } from '../capture/wrap-code.js';
import {
  AbortError,
  ConfigError,
  errorMessage,
  InvalidInputError,
  SandplotError,
  SessionError,
} from '../errors/index.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import { base64Sink } from '../sinks/base64.js';
import { DEFAULT_SINK_CONCURRENCY, type ImageSink } from '../sinks/types.js';
import type {
  CapturedFigure,
  CaptureOptions,
  ExecuteOptions,
  ExecutionResult,
  FigureProblem,
  FileFigure,
  PythonError,
  StoredFigure,
} from '../types/index.js';
import type { CodeSandboxOptions } from './code-sandbox-options.js';

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_CODE_BYTES = 1024 * 1024;
/** Figure files read at once; each read is a round trip to the sandbox. */
const FILE_READ_CONCURRENCY = 4;

const positiveInteger = z.number().int().positive();

const sandboxOptionsSchema = z
  .object({
    backend: z.custom<CodeSandboxOptions['backend']>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { createSession?: unknown }).createSession === 'function',
      { message: 'expected a backend such as localBackend()' },
    ),
    imageSink: z
      .custom<ImageSink>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { put?: unknown }).put === 'function',
        { message: 'expected an image sink such as base64Sink()' },
      )
      .optional(),
    capture: captureOptionsSchema.partial().optional(),
    timeoutMs: positiveInteger.optional(),
    maxCodeBytes: positiveInteger.optional(),
  })
  .strict();

const executeOptionsSchema = z
  .object({
    description: z.string().optional(),
    timeoutMs: positiveInteger.optional(),
    abortSignal: z.instanceof(AbortSignal).optional(),
    clearContext: z.boolean().optional(),
    onStdout: z.function().optional(),
    onStderr: z.function().optional(),
  })
  .strict();

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'options'}: ${issue.message}`)
    .join('; ');
}

/**
 * A Python sandbox for one conversation: the session starts on first use (exactly once, even
 * under concurrent first calls), keeps its variables between calls, is replaced when lost, and is
 * stopped by `close()` or `await using`. Calls run one at a time, in the order they were made.
 */
export class CodeSandbox implements AsyncDisposable {
  readonly #backend: CodeSandboxOptions['backend'];
  readonly #sink: ImageSink;
  readonly #capture: Required<CaptureOptions>;
  readonly #timeoutMs: number;
  readonly #maxCodeBytes: number;
  #session: BackendSession | undefined;
  #starting: Promise<BackendSession> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;
  /** A session was lost since the last result said so. */
  #sessionLost = false;
  /** The stop of a lost session; the next session starts after it, so a sandbox never holds two. */
  #retiring: Promise<void> = Promise.resolve();

  constructor(options: CodeSandboxOptions) {
    const parsed = sandboxOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new ConfigError(`Invalid CodeSandbox options: ${describeIssues(parsed.error)}.`, {
        cause: parsed.error,
      });
    }
    this.#backend = options.backend;
    this.#sink = options.imageSink ?? base64Sink();
    this.#capture = { ...DEFAULT_CAPTURE, ...withoutUndefined(options.capture ?? {}) };
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxCodeBytes = options.maxCodeBytes ?? DEFAULT_MAX_CODE_BYTES;
  }

  /** The current backend session's id; undefined before the first call and after `close()`. */
  get sessionId(): string | undefined {
    return this.#session?.isAlive ? this.#session.id : undefined;
  }

  /** The backend's name, e.g. `local` or `agentcore`. */
  get backendName(): string {
    return this.#backend.name;
  }

  /**
   * Runs Python code in the session. Errors in the code are data on the result (`isError`,
   * `error`); only infrastructure failures, invalid input and aborts throw.
   */
  executePython(code: string, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    try {
      this.#checkCode(code);
      this.#checkExecuteOptions(options);
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(options.abortSignal, () => this.#execute(code, options));
  }

  /** Writes files into the sandbox's working directory (paths relative to it). */
  writeFiles(files: SandboxFile[], options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    try {
      const parsed = z
        .array(
          z.object({
            path: z.string().min(1),
            content: z.union([z.string(), z.instanceof(Uint8Array)]),
          }),
        )
        .safeParse(files);
      if (!parsed.success) {
        throw new InvalidInputError(
          `writeFiles expects [{ path, content: string | Uint8Array }]: ${describeIssues(parsed.error)}.`,
        );
      }
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(options.abortSignal, async () => {
      const session = await this.#ensureSession(options.abortSignal);
      await session.writeFiles(files, withoutUndefined({ abortSignal: options.abortSignal }));
    });
  }

  /** Reads a file from the sandbox's working directory, byte for byte. */
  readFile(path: string, options: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    if (typeof path !== 'string' || path.length === 0) {
      return Promise.reject(new InvalidInputError('readFile expects a non-empty path string.'));
    }
    try {
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(options.abortSignal, async () => {
      const session = await this.#ensureSession(options.abortSignal);
      return session.readFile(path, withoutUndefined({ abortSignal: options.abortSignal }));
    });
  }

  /** Stops the session. Idempotent; later calls reject with `SESSION_CLOSED`. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      const starting = this.#starting;
      this.#starting = undefined;
      const session = this.#session ?? (await starting?.catch(() => undefined));
      this.#session = undefined;
      await this.#retiring;
      await session?.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkCode(code: unknown): asserts code is string {
    if (typeof code !== 'string') {
      throw new InvalidInputError(
        `executePython expects the code as a string, got ${typeOf(code)}.`,
      );
    }
    if (code.trim().length === 0) {
      throw new InvalidInputError('executePython got empty code: there is nothing to run.');
    }
    const bytes = Buffer.byteLength(code, 'utf8');
    if (bytes > this.#maxCodeBytes) {
      throw new InvalidInputError(
        `The code is ${bytes} bytes, over the limit of ${this.#maxCodeBytes}. Raise the \`maxCodeBytes\` option of CodeSandbox, or send the data as a file with writeFiles().`,
      );
    }
  }

  #checkExecuteOptions(options: ExecuteOptions): void {
    const parsed = executeOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new InvalidInputError(
        `Invalid executePython options: ${describeIssues(parsed.error)}.`,
        {
          cause: parsed.error,
        },
      );
    }
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new SessionError('This CodeSandbox was closed; create a new one to run more code.', {
        code: 'SESSION_CLOSED',
      });
    }
  }

  /** Runs `task` after every earlier call has finished. */
  #serial<T>(abortSignal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      throwIfAborted(abortSignal);
      this.#checkOpen();
      return task();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #ensureSession(abortSignal: AbortSignal | undefined): Promise<BackendSession> {
    if (this.#session?.isAlive) return this.#session;
    if (this.#session) {
      // The backend noticed the session died between calls (expired, killed).
      const dead = this.#session;
      this.#session = undefined;
      this.#sessionLost = true;
      await dead.close().catch(() => undefined);
    }
    this.#starting ??= this.#retiring
      .then(() => this.#backend.createSession(withoutUndefined({ abortSignal })))
      .then((session) => {
        if (this.#closed) {
          void session.close();
          throw new SessionError('This CodeSandbox was closed while its session was starting.', {
            code: 'SESSION_CLOSED',
          });
        }
        this.#session = session;
        return session;
      })
      .finally(() => {
        this.#starting = undefined;
      });
    return this.#starting;
  }

  async #execute(code: string, options: ExecuteOptions): Promise<ExecutionResult> {
    const started = performance.now();
    if (options.clearContext && this.#session?.isAlive && !this.#session.clearContext) {
      const old = this.#session;
      this.#session = undefined;
      await old.close();
    }
    const session = await this.#ensureSession(options.abortSignal);
    if (options.clearContext && session.clearContext) {
      await session.clearContext(withoutUndefined({ abortSignal: options.abortSignal }));
    }
    let sessionRestarted = this.#sessionLost;
    this.#sessionLost = false;

    const executionId = randomBytes(16).toString('hex');
    const nonce = createNonce();
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const parser = createFigureMarkerParser({
      nonce,
      maxFigureBytes: this.#capture.maxFigureBytes,
      maxFigureSidePixels: this.#capture.maxFigureSidePixels,
    });
    const stdout: string[] = [];
    const stderr: string[] = [];

    let run: BackendRunResult;
    try {
      run = await session.runCode(wrapPythonCode(code, { nonce, ...this.#capture }), {
        timeoutMs,
        ...withoutUndefined({ abortSignal: options.abortSignal }),
        onStdout: (chunk) => {
          const clean = parser.push(chunk);
          if (clean.length > 0) {
            stdout.push(clean);
            options.onStdout?.(clean);
          }
        },
        onStderr: (chunk) => {
          stderr.push(chunk);
          options.onStderr?.(chunk);
        },
      });
    } catch (error) {
      if (!session.isAlive) this.#forgetSession(session);
      throw error;
    }
    const rest = parser.end();
    if (rest.length > 0) {
      stdout.push(rest);
      options.onStdout?.(rest);
    }
    if (run.crashed || !session.isAlive) this.#forgetSession(session);
    if (run.sessionRestarted) sessionRestarted = true;

    if (run.interrupted === 'abort') {
      if (parser.fileFigures.length > 0) void this.#removeFigureFiles(session, nonce);
      throw new AbortError(
        'executePython was aborted by its abortSignal; the running code was interrupted.',
        {
          cause: options.abortSignal?.reason,
        },
      );
    }

    const error = this.#describeError(run, parser.error, timeoutMs);
    const problems: FigureProblem[] = [...parser.problems];
    const admission: FigureAdmission = {
      maxFigures: this.#capture.maxFigures,
      admitted: new Set(),
    };
    const captured: CapturedFigure[] = admitFigures(parser.figures, admission, problems);
    const fileFigures = admitFigures(parser.fileFigures, admission, problems);
    if (parser.fileFigures.length > 0) {
      const fetched = await this.#fetchFigureFiles(session, nonce, fileFigures, {
        abortSignal: options.abortSignal,
        problems,
      });
      captured.push(...fetched);
      captured.sort((first, second) => first.index - second.index);
    }
    let nextIndex = Math.max(-1, ...admission.admitted) + 1;
    for (const figure of run.figures ?? []) captured.push({ ...figure, index: nextIndex++ });
    const figures = await this.#store(captured, {
      executionId,
      sessionId: session.id,
      abortSignal: options.abortSignal,
      problems,
    });

    const result: ExecutionResult = {
      executionId,
      stdout: stdout.join(''),
      stderr: stderr.join(''),
      // The capture wrapper catches the user's exception, so the process reports success; the
      // result reports what `python script.py` would have: exit code 1.
      exitCode: error !== undefined && run.exitCode === 0 ? 1 : run.exitCode,
      isError: error !== undefined || (run.exitCode !== null && run.exitCode !== 0),
      durationMs: performance.now() - started,
      figures,
      problems,
    };
    if (error) result.error = error;
    if (sessionRestarted) result.sessionRestarted = true;
    return result;
  }

  /**
   * Reads the figures the prelude saved with `capture.transport: 'files'`, checks them like
   * figures from stdout, and removes the execution's folder. A figure that cannot be read or
   * checked becomes a problem; the others are delivered.
   */
  async #fetchFigureFiles(
    session: BackendSession,
    nonce: string,
    announced: FileFigure[],
    context: { abortSignal: AbortSignal | undefined; problems: FigureProblem[] },
  ): Promise<CapturedFigure[]> {
    if (!session.isAlive) {
      // The files went down with the session.
      for (const figure of announced) {
        context.problems.push({
          index: figure.index,
          stage: 'capture',
          reason: `figure ${figure.index} was saved in the sandbox, but the session ended before it could be read`,
        });
      }
      return [];
    }
    let outcomes: (CapturedFigure | FigureProblem)[];
    try {
      outcomes = await mapConcurrently(announced, FILE_READ_CONCURRENCY, (figure) =>
        this.#readFigureFile(session, nonce, figure, context.abortSignal),
      );
    } finally {
      const removal = this.#removeFigureFiles(session, nonce);
      // An aborted call rejects at once; the folder goes away in the background.
      if (!context.abortSignal?.aborted) await removal;
    }
    const figures: CapturedFigure[] = [];
    for (const outcome of outcomes) {
      if ('data' in outcome) figures.push(outcome);
      else context.problems.push(outcome);
    }
    return figures;
  }

  async #readFigureFile(
    session: BackendSession,
    nonce: string,
    figure: FileFigure,
    abortSignal: AbortSignal | undefined,
  ): Promise<CapturedFigure | FigureProblem> {
    const path = figureFilePath(nonce, figure);
    let data: Uint8Array;
    try {
      data = await session.readFile(path, withoutUndefined({ abortSignal }));
    } catch (error) {
      if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
      return {
        index: figure.index,
        stage: 'capture',
        reason: `figure ${figure.index} could not be read from ${path}: ${errorMessage(error)}`,
      };
    }
    const checked = checkFigureData(figure, data, this.#capture);
    if (typeof checked !== 'string') return checked;
    return { index: figure.index, stage: 'capture', reason: `figure ${figure.index}: ${checked}` };
  }

  /**
   * Never rejects, and a failure is not a problem entry: the figures were already read, and a
   * leftover folder only takes disk space in a sandbox that goes away with its session; a
   * problem would read as a lost figure.
   */
  async #removeFigureFiles(session: BackendSession, nonce: string): Promise<void> {
    if (!session.isAlive || session.removeFiles === undefined) return;
    try {
      await session.removeFiles([figureFilesFolder(nonce)]);
    } catch {
      // Nothing to report; see above.
    }
  }

  #forgetSession(session: BackendSession): void {
    if (this.#session === session) this.#session = undefined;
    this.#sessionLost = true;
    const previous = this.#retiring;
    this.#retiring = session
      .close()
      .catch(() => undefined)
      .then(() => previous);
  }

  #describeError(
    run: BackendRunResult,
    pythonError: PythonError | undefined,
    timeoutMs: number,
  ): PythonError | undefined {
    if (run.interrupted === 'timeout') {
      return {
        name: 'TimeoutError',
        value: run.crashed
          ? `The code ran longer than ${timeoutMs} ms and did not stop when interrupted, so the sandbox was restarted: variables from earlier calls are gone. Raise \`timeoutMs\` for longer work.`
          : `The code ran longer than ${timeoutMs} ms and was interrupted; variables from earlier calls are kept. Raise \`timeoutMs\` for longer work.`,
        traceback: pythonError?.traceback ?? '',
      };
    }
    if (run.crashed) {
      return {
        name: 'SandboxCrashed',
        value: `${run.crashed.reason}. Variables from earlier calls are lost; the next call runs in a new session.`,
        traceback: '',
      };
    }
    return pythonError;
  }

  async #store(
    captured: CapturedFigure[],
    context: {
      executionId: string;
      sessionId: string;
      abortSignal: AbortSignal | undefined;
      problems: FigureProblem[];
    },
  ): Promise<StoredFigure[]> {
    const sinkContext = {
      executionId: context.executionId,
      sessionId: context.sessionId,
      ...withoutUndefined({ abortSignal: context.abortSignal }),
      reportProblem: (problem: FigureProblem) => {
        context.problems.push({ ...problem, reason: String(problem.reason) });
      },
    };
    const concurrency = this.#sink.concurrency ?? DEFAULT_SINK_CONCURRENCY;
    const stored = await mapConcurrently(captured, concurrency, async (figure) => {
      try {
        return await this.#sink.put(figure, sinkContext);
      } catch (error) {
        if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
        context.problems.push({
          index: figure.index,
          stage: 'store',
          sink: this.#sink.name,
          reason: errorMessage(error),
        });
        return undefined;
      }
    });
    return stored.filter((figure): figure is StoredFigure => figure !== undefined);
  }
}

/** `Promise.all(items.map(map))` with at most `limit` calls in flight; results in item order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const position = next++;
      results[position] = await map(items[position] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return results;
}

function throwIfAborted(abortSignal: AbortSignal | undefined): void {
  if (abortSignal?.aborted) {
    throw new AbortError('The call was aborted by its abortSignal before it started.', {
      cause: abortSignal.reason,
    });
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
