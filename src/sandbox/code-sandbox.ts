import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BackendRunResult, BackendSession, SandboxFile } from '../backends/types.js';
import { createFigureMarkerParser } from '../capture/marker-parser.js';
import { createNonce, wrapPythonCode } from '../capture/wrap-code.js';
import { AbortError, ConfigError, InvalidInputError, SessionError } from '../errors/index.js';
import { throwIfAborted } from '../internal/abort.js';
import { parseOptions } from '../internal/parse-options.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import type {
  ExecuteOptions,
  ExecutionDisplay,
  ExecutionResult,
  FigureProblem,
} from '../types/index.js';
import { createBoundedOutput } from './bounded-output.js';
import { checkCode } from './check-code.js';
import {
  type CodeSandboxOptions,
  codeSandboxOptionsSchema,
  executeOptionsSchema,
  type ResolvedCodeSandboxOptions,
  type WriteFilesOptions,
  writeFilesInputSchema,
  writeFilesOptionsSchema,
} from './code-sandbox-options.js';
import { collectFigures } from './collect-figures.js';
import { collectFiles } from './collect-files.js';
import { removeFigureFiles } from './figure-file-transport.js';
import { type InputFileInfo, InputFiles } from './input-files.js';
import { describeRunError } from './run-error.js';
import { storeFigures } from './store-figures.js';
import { storeFiles } from './store-files.js';

/** Each sandbox's kept input files, for `keepInputFiles` (the pool's, not the package's). */
const keptInputs = new WeakMap<CodeSandbox, InputFiles>();

/**
 * Keeps `files` for `sandbox` as `writeFiles` would, without writing them: they are in the session
 * it goes on with already, and go into any session that replaces it.
 */
export function keepInputFiles(sandbox: CodeSandbox, files: SandboxFile[]): void {
  keptInputs.get(sandbox)?.remember(files);
}

/**
 * A Python sandbox for one conversation: the session starts on first use (exactly once, even
 * under concurrent first calls), keeps its variables between calls, is replaced when lost, and is
 * stopped by `close()` or `await using`. Calls run one at a time, in the order they were made.
 */
export class CodeSandbox implements AsyncDisposable {
  readonly #options: ResolvedCodeSandboxOptions;
  #session: BackendSession | undefined;
  #starting: Promise<BackendSession> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;
  /** A session was lost since the last result said so. */
  #sessionLost = false;
  /** The stop of a lost session; the next session starts after it, so a sandbox never holds two. */
  #retiring: Promise<void> = Promise.resolve();
  /** The existing session the first call attaches to (the `sessionId` option), until it has. */
  #attachTo: string | undefined;
  /** Sessions that ran wrapped code (and so have the prelude installed). */
  readonly #ranCode = new WeakSet<BackendSession>();
  /** Files given with writeFiles, written again into a session that replaces a lost one. */
  readonly #inputs = new InputFiles();
  /** A session was started before: the next one replaces it and gets the kept files. */
  #hadSession = false;

  constructor(options: CodeSandboxOptions) {
    this.#options = parseOptions(codeSandboxOptionsSchema, options, 'CodeSandbox options');
    this.#attachTo = this.#options.sessionId;
    keptInputs.set(this, this.#inputs);
    if (this.#attachTo !== undefined && !this.#options.backend.attachSession) {
      throw new ConfigError(
        `CodeSandbox: the ${this.#options.backend.name} backend cannot attach to an existing session, so \`sessionId\` cannot be used with it; leave it out to start a new session.`,
      );
    }
  }

  /** The current backend session's id; undefined before the first call and after `close()`. */
  get sessionId(): string | undefined {
    return this.#session?.isAlive ? this.#session.id : undefined;
  }

  /** The backend's name, e.g. `local` or `agentcore`. */
  get backendName(): string {
    return this.#options.backend.name;
  }

  /**
   * Runs Python code in the session. Errors in the code are data on the result (`isError`,
   * `error`); only infrastructure failures, invalid input and aborts throw.
   */
  executePython(code: string, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    try {
      checkCode(code, this.#options.maxCodeBytes);
      parseOptions(executeOptionsSchema, options, 'executePython options', 'input');
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(options.abortSignal, () => this.#execute(code, options));
  }

  /**
   * Writes files into the sandbox's working directory (paths relative to it). They are kept
   * (in memory) and written again into any session that replaces a lost one, before the next call
   * runs, so a restart does not lose the user's data set; `keep: false` writes them once.
   */
  writeFiles(files: SandboxFile[], options: WriteFilesOptions = {}): Promise<void> {
    try {
      parseOptions(
        writeFilesInputSchema,
        files,
        'writeFiles files (expected [{ path, content: string | Uint8Array }])',
        'input',
      );
      parseOptions(writeFilesOptionsSchema, options, 'writeFiles options', 'input');
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serial(options.abortSignal, async () => {
      const session = await this.#ensureSession(options.abortSignal);
      await session.writeFiles(files, withoutUndefined({ abortSignal: options.abortSignal }));
      if (options.keep === false) this.#inputs.forget(files.map((file) => file.path));
      else this.#inputs.remember(files);
    });
  }

  /** The files kept from `writeFiles` (names and sizes, in path order). */
  get inputFiles(): InputFileInfo[] {
    return this.#inputs.list();
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

  /**
   * Lets go of the session without stopping it, once the calls already made have finished, and
   * returns its id (undefined when no session was started); the sandbox is closed afterwards.
   * `new CodeSandbox({ backend, sessionId })`, here or in another process, goes on with it.
   * Throws a `ConfigError` for backends whose sessions cannot outlive their sandbox (local).
   */
  detach(): Promise<string | undefined> {
    const { backend } = this.#options;
    if (!backend.attachSession) {
      return Promise.reject(
        new ConfigError(
          `CodeSandbox.detach: the ${backend.name} backend's sessions cannot outlive their sandbox; use close().`,
        ),
      );
    }
    if (this.#closed) return this.#closing?.then(() => undefined) ?? Promise.resolve(undefined);
    this.#closed = true;
    const detached = this.#queue.then(async () => {
      const session = this.#session ?? (await this.#starting?.catch(() => undefined));
      this.#session = undefined;
      await this.#retiring;
      if (session?.isAlive && session.detach) return session.detach();
      await session?.close();
      return undefined;
    });
    this.#closing = detached.then(() => undefined);
    return detached;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
      throwIfAborted(abortSignal, 'The call');
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
    const { backend } = this.#options;
    const attachTo = this.#attachTo;
    this.#attachTo = undefined;
    this.#starting ??= this.#retiring
      .then(() =>
        attachTo !== undefined && backend.attachSession
          ? backend.attachSession(attachTo, withoutUndefined({ abortSignal }))
          : backend.createSession(withoutUndefined({ abortSignal })),
      )
      .then(async (session) => {
        if (this.#closed) {
          void session.close();
          throw new SessionError('This CodeSandbox was closed while its session was starting.', {
            code: 'SESSION_CLOSED',
          });
        }
        if (this.#hadSession && this.#inputs.size > 0) {
          try {
            await session.writeFiles(this.#inputs.files(), withoutUndefined({ abortSignal }));
          } catch (error) {
            await session.close().catch(() => undefined);
            throw error;
          }
        }
        this.#hadSession = true;
        // A backend that replaces its service session in place (AgentCore, at expiry) writes the
        // kept files into the new one before the next call runs there.
        session.onReplaced?.(async () => {
          if (this.#inputs.size > 0) await session.writeFiles(this.#inputs.files());
        });
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
    const { capture, outputFiles } = this.#options;
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const parser = createFigureMarkerParser({
      nonce,
      maxFigureBytes: capture.maxFigureBytes,
      maxFigureSidePixels: capture.maxFigureSidePixels,
      maxFigures: capture.maxFigures,
      ...(outputFiles.enabled ? { files: outputFiles } : {}),
    });
    const stdout = createBoundedOutput(this.#options.maxOutputBytes, 'stdout');
    const stderr = createBoundedOutput(this.#options.maxOutputBytes, 'stderr');
    let streamed = 0;

    let run: BackendRunResult;
    try {
      run = await session.runCode(wrapPythonCode(code, { nonce, ...capture, files: outputFiles }), {
        timeoutMs,
        ...withoutUndefined({ abortSignal: options.abortSignal }),
        onStdout: (chunk) => {
          const shown = parser.displays.length;
          const clean = parser.push(chunk);
          if (clean.length > 0) stdout.push(clean);
          emitInOrder(clean, parser.displays.slice(shown), streamed, options);
          streamed += clean.length;
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
    // The prelude had to be installed although this session ran wrapped code before: the
    // interpreter was replaced (a crash the service recovered from), and its variables are gone.
    if (parser.freshInterpreter && this.#ranCode.has(session)) {
      sessionRestarted = true;
      // The new interpreter may have a new working directory too: the kept input files go back
      // in for the next call (this one has already run without them).
      if (this.#inputs.size > 0 && session.isAlive) {
        await session.writeFiles(this.#inputs.files()).catch(() => undefined);
      }
    }
    this.#ranCode.add(session);
    if (run.crashed || !session.isAlive) this.#forgetSession(session);
    if (run.sessionRestarted) sessionRestarted = true;

    if (run.interrupted === 'abort') {
      if (parser.fileFigures.length > 0) void removeFigureFiles(session, nonce);
      throw new AbortError(
        'executePython was aborted by its abortSignal; the running code was interrupted.',
        {
          cause: options.abortSignal?.reason,
        },
      );
    }

    const error = describeRunError(run, parser.error, timeoutMs);
    const problems: FigureProblem[] = [...parser.problems];
    const captured = await collectFigures(session, parser, run, {
      nonce,
      capture,
      abortSignal: options.abortSignal,
      problems,
    });
    const figures = await storeFigures(this.#options.imageSink, captured, {
      executionId,
      sessionId: session.id,
      abortSignal: options.abortSignal,
      problems,
    });
    const written = await collectFiles(session, parser, {
      limits: outputFiles,
      abortSignal: options.abortSignal,
      problems,
    });
    const files = await storeFiles(this.#options.imageSink, written, {
      executionId,
      sessionId: session.id,
      ...withoutUndefined({ abortSignal: options.abortSignal }),
      reportProblem: (problem) => problems.push({ ...problem, reason: String(problem.reason) }),
      problems,
    });

    const result: ExecutionResult = {
      executionId,
      stdout: stdout.text(),
      stderr: stderr.text(),
      // The capture wrapper catches the user's exception, so the process reports success; the
      // result reports what `python script.py` would have: exit code 1.
      exitCode: error !== undefined && run.exitCode === 0 ? 1 : run.exitCode,
      isError: error !== undefined || (run.exitCode !== null && run.exitCode !== 0),
      durationMs: performance.now() - started,
      // Positions in the kept output, which may have lost its middle (maxOutputBytes).
      displays: parser.displays.map((display) => ({
        ...display,
        position: stdout.keptPosition(display.position),
      })),
      figures,
      files,
      problems,
    };
    if (stdout.cutChars > 0) result.stdoutTruncatedChars = stdout.cutChars;
    if (stderr.cutChars > 0) result.stderrTruncatedChars = stderr.cutChars;
    if (error) result.error = error;
    if (sessionRestarted) {
      result.sessionRestarted = true;
      if (this.#inputs.size > 0) result.inputFilesRestored = true;
    }
    return result;
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
}

/**
 * Hands a chunk of user output and the displays its markers made to the callbacks in the order
 * the cell produced them: each display's position splits the chunk.
 */
function emitInOrder(
  text: string,
  displays: readonly ExecutionDisplay[],
  offset: number,
  options: ExecuteOptions,
): void {
  let from = 0;
  for (const display of displays) {
    const at = Math.min(text.length, Math.max(from, display.position - offset));
    if (at > from) options.onStdout?.(text.slice(from, at));
    from = at;
    options.onDisplay?.(display);
  }
  if (from < text.length) options.onStdout?.(text.slice(from));
}
