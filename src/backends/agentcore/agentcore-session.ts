import { randomUUID } from 'node:crypto';
import {
  type BedrockAgentCoreClient,
  InvokeCodeInterpreterCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  type TaskStatus,
  type ToolArguments,
  type ToolName,
} from '@aws-sdk/client-bedrock-agentcore';
import {
  AbortError,
  BackendError,
  InvalidInputError,
  type SandplotError,
  SessionError,
  TimeoutError,
} from '../../errors/index.js';
import type { BackendRunOptions, BackendRunResult, BackendSession, SandboxFile } from '../types.js';
import { backoffDelayMs, sleep } from './backoff.js';
import { stopOnExit } from './exit-stop.js';
import { classifyError, isConnectionFailure, toSandplotError } from './service-errors.js';
import {
  readInvokeStream,
  resourceFigures,
  StreamFailure,
  type StreamOutcome,
} from './stream-result.js';

/** The settings a session needs, already validated and defaulted by agentCoreBackend(). */
export interface AgentCoreSessionConfig {
  client: BedrockAgentCoreClient;
  identifier: string;
  sessionTimeoutSeconds: number;
  sessionName: string | undefined;
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  stopOnExit: boolean;
}

/** What runCode reports. */
export type AgentCoreRunResult = BackendRunResult;

/** Output of a shell command run in the session. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** A file read back from the session. */
export interface SessionFileContent {
  path: string;
  data: Uint8Array;
}

/** One entry of listFiles. */
export interface SessionFileEntry {
  /** Relative to the working directory. */
  path: string;
  name: string;
  isDirectory: boolean;
  sizeBytes?: number;
}

/**
 * The status of a background command, as the service reports it (the SDK's `TaskStatus`):
 * `submitted` and `working` while it runs; `completed`, `failed` or `canceled` once it has ended.
 */
export type AgentCoreTaskStatus = TaskStatus;

/** What `getTask()` reports about a background command. */
export interface AgentCoreTaskInfo {
  taskId: string;
  status: AgentCoreTaskStatus;
  /** Output so far (all of it once the task has ended), when the service sent it. */
  stdout?: string;
  stderr?: string;
  /** Present once the task has ended. */
  exitCode?: number;
}

/** Options of `startCommand()`, `getTask()` and `stopTask()`. */
export interface TaskCallOptions {
  /** Aborts the request (not the task: use `stopTask()` for that). */
  abortSignal?: AbortSignal;
}

/** Options of `runLongCommand()`. */
export interface RunLongCommandOptions {
  /**
   * Pause between two `getTask` calls, in milliseconds. Each poll is one InvokeCodeInterpreter
   * request, which counts against the service's 30 requests per second. @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Stops the task and rejects with a `TimeoutError` (`TIMEOUT`) when it has not ended after this
   * many milliseconds. @default undefined (no limit of its own; the session's timeout still applies)
   */
  timeoutMs?: number;
  /** Stops the task and rejects with an `AbortError` (`ABORTED`) when it fires. @default undefined */
  abortSignal?: AbortSignal;
  /** Called with every `getTask` answer, e.g. to show progress. @default undefined */
  onPoll?: (task: AgentCoreTaskInfo) => void;
}

const ENDED_TASK_STATUSES = new Set<string>(['completed', 'failed', 'canceled']);

/** True once a task has ended (completed, failed or canceled). */
export function isTaskFinished(status: AgentCoreTaskStatus): boolean {
  return ENDED_TASK_STATUSES.has(status);
}

interface RemoteSession {
  id: string;
  /** When the service will have expired it, by our clock (ms since the epoch). */
  expiresAt: number;
}

/**
 * Sessions are replaced this long before the service would expire them, so a call never races
 * the expiry: 5 s, or a tenth of a short timeout.
 */
function expiryMarginMs(sessionTimeoutSeconds: number): number {
  return Math.min(5_000, sessionTimeoutSeconds * 100);
}

/**
 * One AgentCore Code Interpreter session as a BackendSession. The remote session behind it may be
 * replaced (expired, lost): `id` follows the current one, and the next result says
 * `sessionRestarted: true`. Starts and restarts happen once even when calls overlap.
 */
export class AgentCoreSession implements BackendSession {
  readonly #config: AgentCoreSessionConfig;
  #remote: RemoteSession | undefined;
  #starting: Promise<RemoteSession> | undefined;
  #restarted = false;
  #alive = true;
  #closing: Promise<void> | undefined;
  #stops: Promise<void>[] = [];
  readonly #unregister: () => void;

  constructor(config: AgentCoreSessionConfig) {
    this.#config = config;
    this.#unregister = config.stopOnExit ? stopOnExit(this) : () => {};
  }

  get id(): string {
    return this.#remote?.id ?? '';
  }

  get isAlive(): boolean {
    return this.#alive;
  }

  /** Starts the remote session (used once by createSession; later starts are restarts). */
  async start(abortSignal?: AbortSignal): Promise<void> {
    await this.#ensureRemote(abortSignal);
  }

  async runCode(code: string, options: BackendRunOptions): Promise<AgentCoreRunResult> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const onAbort = () => controller.abort(options.abortSignal?.reason);
    if (options.abortSignal?.aborted) onAbort();
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await this.#invoke(
        'executeCode',
        { language: 'python', code },
        controller.signal,
      );
      if (outcome.stdout.length > 0) options.onStdout(outcome.stdout);
      if (outcome.stderr.length > 0) options.onStderr(outcome.stderr);
      const result: AgentCoreRunResult = { exitCode: outcome.exitCode };
      const figures = [...outcome.figures, ...resourceFigures(outcome.resources)];
      if (figures.length > 0) result.figures = figures;
      if (this.#restarted) {
        this.#restarted = false;
        result.sessionRestarted = true;
      }
      return result;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      // AgentCore cannot interrupt a running command: the session may still be busy with the
      // code, so it is stopped rather than reused in an unknown state.
      const interrupted = timedOut ? 'timeout' : 'abort';
      this.#retire();
      return {
        exitCode: null,
        interrupted,
        crashed: {
          reason:
            interrupted === 'timeout'
              ? `AgentCore cannot interrupt running code, so the session was stopped after ${options.timeoutMs} ms`
              : 'The call was aborted; AgentCore cannot interrupt running code, so the session was stopped',
        },
      };
    } finally {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
    }
  }

  async writeFiles(files: SandboxFile[], options: { abortSignal?: AbortSignal } = {}) {
    const content = files.map((file) => {
      const path = relativePath(file.path);
      return typeof file.content === 'string'
        ? { path, text: file.content }
        : { path, blob: file.content };
    });
    const outcome = await this.#invoke('writeFiles', { content }, options.abortSignal);
    if (outcome.isError) {
      throw new BackendError(
        `agentCoreBackend: writeFiles failed: ${outcome.texts.join(' ') || outcome.stderr}`,
      );
    }
  }

  async readFile(path: string, options: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    const [file] = await this.readFiles([path], options);
    return (file as SessionFileContent).data;
  }

  /** Reads several files in one call, in the order asked, byte for byte. */
  async readFiles(
    paths: string[],
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<SessionFileContent[]> {
    const relative = paths.map(relativePath);
    const outcome = await this.#invoke('readFiles', { paths: relative }, options.abortSignal);
    if (outcome.isError || outcome.resources.length !== relative.length) {
      const detail = outcome.texts.join(' ') || outcome.stderr || 'no content came back';
      throw new BackendError(`agentCoreBackend: cannot read ${relative.join(', ')}: ${detail}`, {
        code: 'FILE_NOT_FOUND',
      });
    }
    return outcome.resources.map((resource, index) => ({
      path: relative[index] as string,
      data: resource.blob ?? new TextEncoder().encode(resource.text ?? ''),
    }));
  }

  /** The entries of a folder of the working directory (tool `listFiles`). */
  async listFiles(
    directoryPath = '',
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<SessionFileEntry[]> {
    const outcome = await this.#invoke(
      'listFiles',
      { directoryPath: directoryPath === '' ? '' : relativePath(directoryPath) },
      options.abortSignal,
    );
    if (outcome.isError) {
      throw new BackendError(
        `agentCoreBackend: cannot list "${directoryPath}": ${outcome.texts.join(' ')}`,
        { code: 'FILE_NOT_FOUND' },
      );
    }
    return outcome.links.map((link) => ({
      path: (link.uri ?? '').replace(/^file:\/\//, ''),
      name: link.name ?? '',
      isDirectory: link.description === 'Directory',
      ...(link.size === undefined ? {} : { sizeBytes: link.size }),
    }));
  }

  /** Deletes files (tool `removeFiles`). */
  async removeFiles(paths: string[], options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    const outcome = await this.#invoke(
      'removeFiles',
      { paths: paths.map(relativePath) },
      options.abortSignal,
    );
    if (outcome.isError) {
      throw new BackendError(`agentCoreBackend: removeFiles failed: ${outcome.texts.join(' ')}`);
    }
  }

  /** Runs a shell command in the session's working directory (tool `executeCommand`). */
  async executeCommand(
    command: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<CommandResult> {
    const outcome = await this.#invoke('executeCommand', { command }, options.abortSignal);
    return { stdout: outcome.stdout, stderr: outcome.stderr, exitCode: outcome.exitCode };
  }

  /**
   * Starts a shell command in the background in the session's working directory (tool
   * `startCommandExecution`) and answers at once with its task id. Poll it with `getTask()`,
   * end it with `stopTask()`, or use `runLongCommand()` for both.
   */
  async startCommand(command: string, options: TaskCallOptions = {}): Promise<{ taskId: string }> {
    const outcome = await this.#invoke('startCommandExecution', { command }, options.abortSignal);
    if (outcome.isError || outcome.taskId === undefined) {
      const detail = outcome.texts.join(' ') || outcome.stderr || 'the answer carried no taskId';
      throw new BackendError(`agentCoreBackend: startCommandExecution failed: ${detail}`);
    }
    return { taskId: outcome.taskId };
  }

  /**
   * The status of a task started by `startCommand()` (tool `getTask`), with its output and, once
   * it has ended, its exit code. An id the session does not know (another session's, or one from
   * before a session restart) rejects with a `BackendError`.
   */
  async getTask(taskId: string, options: TaskCallOptions = {}): Promise<AgentCoreTaskInfo> {
    const outcome = await this.#invoke(
      'getTask',
      { taskId: checkTaskId(taskId) },
      options.abortSignal,
    );
    return taskInfo(taskId, outcome, 'getTask');
  }

  /** Stops a task started by `startCommand()` (tool `stopTask`); its status becomes `canceled`. */
  async stopTask(taskId: string, options: TaskCallOptions = {}): Promise<void> {
    const outcome = await this.#invoke(
      'stopTask',
      { taskId: checkTaskId(taskId) },
      options.abortSignal,
    );
    if (outcome.isError && outcome.taskStatus === undefined) {
      throw new BackendError(
        `agentCoreBackend: stopTask ${taskId} failed: ${outcome.texts.join(' ') || outcome.stderr}`,
      );
    }
  }

  /**
   * Runs a shell command that may outlast one synchronous call: starts it with `startCommand()`
   * and polls `getTask()` every `pollIntervalMs` until it has ended, then returns its output.
   * A command that ends with a non-zero exit code is data (`exitCode`), not an error. On
   * `timeoutMs` or `abortSignal` the task is stopped and the call rejects with a `TimeoutError`
   * or an `AbortError`.
   */
  async runLongCommand(
    command: string,
    options: RunLongCommandOptions = {},
  ): Promise<CommandResult> {
    const pollIntervalMs = options.pollIntervalMs ?? 1000;
    for (const [name, value] of [
      ['pollIntervalMs', pollIntervalMs],
      ['timeoutMs', options.timeoutMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new InvalidInputError(
          `runLongCommand: ${name} must be a non-negative number of milliseconds; got ${value}.`,
        );
      }
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`timed out after ${options.timeoutMs} ms`));
          }, options.timeoutMs);
    const onAbort = () => controller.abort(options.abortSignal?.reason);
    if (options.abortSignal?.aborted) onAbort();
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    let taskId: string | undefined;
    try {
      ({ taskId } = await this.startCommand(command, { abortSignal: controller.signal }));
      for (;;) {
        const task = await this.getTask(taskId, { abortSignal: controller.signal });
        options.onPoll?.(task);
        if (isTaskFinished(task.status)) {
          return {
            stdout: task.stdout ?? '',
            stderr: task.stderr ?? '',
            exitCode: task.exitCode ?? null,
          };
        }
        await sleep(pollIntervalMs, controller.signal);
      }
    } catch (error) {
      // Whatever went wrong, the command should not keep running unobserved.
      if (taskId !== undefined) await this.stopTask(taskId).catch(() => undefined);
      if (!controller.signal.aborted) throw error;
      const task = taskId === undefined ? 'the command' : `task ${taskId}`;
      if (timedOut) {
        throw new TimeoutError(
          `agentCoreBackend: ${task} did not end within ${options.timeoutMs} ms and was stopped. Raise the timeoutMs option of runLongCommand.`,
          { cause: error },
        );
      }
      throw new AbortError(`runLongCommand was aborted by its abortSignal; ${task} was stopped.`, {
        cause: options.abortSignal?.reason,
      });
    } finally {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
    }
  }

  /** Drops the interpreter's variables but keeps the session and its files (`clearContext`). */
  async clearContext(options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    await this.#invoke(
      'executeCode',
      { language: 'python', code: 'pass', clearContext: true },
      options.abortSignal,
    );
  }

  close(): Promise<void> {
    this.#alive = false;
    this.#closing ??= (async () => {
      this.#unregister();
      const remote = this.#remote ?? (await this.#starting?.catch(() => undefined));
      this.#remote = undefined;
      if (remote) this.#stops.push(this.#stop(remote));
      const failures = (await Promise.allSettled(this.#stops)).filter(
        (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
      );
      if (failures.length > 0) throw failures[0]?.reason;
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Stops the remote session in the background and marks this session dead. */
  #retire(): void {
    this.#alive = false;
    const remote = this.#remote;
    this.#remote = undefined;
    if (remote) this.#stops.push(this.#stop(remote).catch(() => undefined));
  }

  #ensureRemote(abortSignal: AbortSignal | undefined): Promise<RemoteSession> {
    if (!this.#alive) {
      return Promise.reject(
        new SessionError('This AgentCore session was closed.', { code: 'SESSION_CLOSED' }),
      );
    }
    const remote = this.#remote;
    if (remote !== undefined) {
      if (Date.now() < remote.expiresAt - expiryMarginMs(this.#config.sessionTimeoutSeconds)) {
        return Promise.resolve(remote);
      }
      // Past its timeout the service has expired it already: replace it without asking.
      this.#remote = undefined;
      this.#restarted = true;
    }
    this.#starting ??= this.#startRemote(abortSignal).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #startRemote(abortSignal: AbortSignal | undefined): Promise<RemoteSession> {
    const { client, identifier, sessionTimeoutSeconds, sessionName } = this.#config;
    // One token for every attempt: the service starts one session even if an answer was lost.
    const clientToken = randomUUID();
    const response = await this.#withRetries('StartCodeInterpreterSession', abortSignal, (signal) =>
      client.send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: identifier,
          sessionTimeoutSeconds,
          clientToken,
          ...(sessionName === undefined ? {} : { name: sessionName }),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      ),
    ).catch((error: unknown) => {
      const mapped = toSandplotError(error, 'StartCodeInterpreterSession');
      if (mapped.code !== 'BACKEND_FAILED') throw mapped;
      throw new SessionError(mapped.message, { cause: error, isRetryable: mapped.isRetryable });
    });
    if (!response.sessionId) {
      throw new SessionError(
        'agentCoreBackend: StartCodeInterpreterSession returned no sessionId.',
      );
    }
    const remote = { id: response.sessionId, expiresAt: Date.now() + sessionTimeoutSeconds * 1000 };
    if (!this.#alive) {
      // close() ran while the session was starting.
      await this.#stop(remote).catch(() => undefined);
      throw new SessionError('This AgentCore session was closed while it was starting.', {
        code: 'SESSION_CLOSED',
      });
    }
    this.#remote = remote;
    return remote;
  }

  async #stop(remote: RemoteSession): Promise<void> {
    const { client, identifier } = this.#config;
    const clientToken = randomUUID();
    try {
      await this.#withRetries('StopCodeInterpreterSession', undefined, () =>
        client.send(
          new StopCodeInterpreterSessionCommand({
            codeInterpreterIdentifier: identifier,
            sessionId: remote.id,
            clientToken,
          }),
        ),
      );
    } catch (error) {
      // Already expired or stopped: nothing left to pay for.
      if (classifyError(error) === 'session-lost') return;
      throw toSandplotError(error, `StopCodeInterpreterSession (session ${remote.id})`);
    }
  }

  /**
   * Retries throttling, server faults and dropped connections with exponential backoff and
   * jitter. Only for idempotent calls: a start carries one clientToken for all its attempts, and
   * stopping a stopped session answers ResourceNotFound, which counts as stopped.
   */
  async #withRetries<T>(
    action: string,
    abortSignal: AbortSignal | undefined,
    call: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await call(abortSignal);
      } catch (error) {
        if (abortSignal?.aborted) throw abortedError(action, abortSignal);
        const retryable = classifyError(error) === 'transient' || isConnectionFailure(error);
        if (!retryable || retry >= this.#config.maxRetries) throw error;
        await this.#pause(retry, abortSignal);
      }
    }
  }

  #pause(retry: number, abortSignal: AbortSignal | undefined): Promise<void> {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.#config;
    return sleep(backoffDelayMs(retry, retryBaseDelayMs, retryMaxDelayMs), abortSignal);
  }

  /**
   * One tool call, read to the end of its stream. A lost session is replaced and the call made
   * once more; throttling and server faults are retried while no result has arrived (after one,
   * the code ran, and running it again could repeat its effects).
   */
  async #invoke(
    name: ToolName,
    args: ToolArguments,
    abortSignal: AbortSignal | undefined,
  ): Promise<StreamOutcome> {
    const action = `InvokeCodeInterpreter (${name})`;
    const { client, identifier } = this.#config;
    let replaced = false;
    for (let retry = 0; ; ) {
      const remote = await this.#ensureRemote(abortSignal);
      try {
        const response = await client.send(
          new InvokeCodeInterpreterCommand({
            codeInterpreterIdentifier: identifier,
            sessionId: remote.id,
            name,
            arguments: args,
          }),
          abortSignal === undefined ? {} : { abortSignal },
        );
        return await readInvokeStream(response.stream);
      } catch (error) {
        if (abortSignal?.aborted) throw abortedError(action, abortSignal);
        const afterResult = error instanceof StreamFailure && error.afterResult;
        const cause = error instanceof StreamFailure ? error.cause : error;
        const kind = classifyError(cause);
        if (kind === 'session-lost' && !replaced && !afterResult) {
          replaced = true;
          if (this.#remote === remote) this.#remote = undefined;
          this.#restarted = true;
          continue;
        }
        if (kind === 'transient' && !afterResult && retry < this.#config.maxRetries) {
          await this.#pause(retry++, abortSignal);
          continue;
        }
        throw toSandplotError(cause, action);
      }
    }
  }
}

function abortedError(action: string, abortSignal: AbortSignal): SandplotError {
  return new AbortError(`${action} was aborted by its abortSignal.`, {
    cause: abortSignal.reason,
  });
}

function checkTaskId(taskId: string): string {
  if (typeof taskId !== 'string' || taskId.length === 0) {
    throw new InvalidInputError('A task id must be a non-empty string (from startCommand()).');
  }
  return taskId;
}

function taskInfo(taskId: string, outcome: StreamOutcome, tool: string): AgentCoreTaskInfo {
  if (outcome.taskStatus === undefined) {
    const detail = outcome.texts.join(' ') || outcome.stderr || 'the answer carried no taskStatus';
    throw new BackendError(`agentCoreBackend: ${tool} ${taskId} failed: ${detail}`);
  }
  const status = outcome.taskStatus.toLowerCase() as AgentCoreTaskStatus;
  return {
    taskId: outcome.taskId ?? taskId,
    status,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    ...(outcome.exitCode === null || !isTaskFinished(status) ? {} : { exitCode: outcome.exitCode }),
  };
}

function relativePath(path: string): string {
  if (path.startsWith('/')) {
    throw new InvalidInputError(
      `AgentCore file paths are relative to the session's working directory; got the absolute path "${path}" (the service would look for it under the working directory).`,
    );
  }
  return path;
}
