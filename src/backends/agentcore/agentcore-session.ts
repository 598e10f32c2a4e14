import { callDeadline } from '../../internal/call-deadline.js';
import type { BackendRunOptions, BackendSession, SandboxFile } from '../types.js';
import type {
  AgentCoreRunResult,
  AgentCoreSessionConfig,
  AgentCoreTaskInfo,
  CommandResult,
  RunLongCommandOptions,
  SessionFileContent,
  SessionFileEntry,
  TaskCallOptions,
} from './agentcore-session-types.js';
import { type InvokeTool, OutputLostError } from './invoke-outcomes.js';
import { RemoteSession } from './remote-session.js';
import * as sessionCommands from './session-commands.js';
import * as sessionFiles from './session-files.js';
import {
  createFreshMark,
  createStartToken,
  probeCode,
  readProbe,
  takeFreshMark,
  withStartRecord,
} from './started-marker.js';
import { resourceFigures } from './stream-result.js';

/**
 * One AgentCore Code Interpreter session as a BackendSession. The remote session behind it may be
 * replaced (expired, lost): `id` follows the current one, and the next result says
 * `sessionRestarted: true`. Starts and restarts happen once even when calls overlap.
 */
export class AgentCoreSession implements BackendSession {
  readonly #remote: RemoteSession;
  /** The service session in which code last ran to its start record: its interpreter has state. */
  #ranIn: string | undefined;

  constructor(config: AgentCoreSessionConfig) {
    this.#remote = new RemoteSession(config);
  }

  get id(): string {
    return this.#remote.id;
  }

  get isAlive(): boolean {
    return this.#remote.isAlive;
  }

  /** Starts the remote session (used once by createSession; later starts are restarts). */
  async start(abortSignal?: AbortSignal): Promise<void> {
    await this.#remote.start(abortSignal);
  }

  /** Takes over an existing service session (used once by attachSession). */
  async attach(sessionId: string, abortSignal?: AbortSignal): Promise<void> {
    await this.#remote.attach(sessionId, abortSignal);
  }

  async runCode(code: string, options: BackendRunOptions): Promise<AgentCoreRunResult> {
    const deadline = callDeadline(options.timeoutMs, options.abortSignal);
    const token = createStartToken();
    const freshMark = createFreshMark();
    try {
      const outcome = await this.#remote.invoke(
        'executeCode',
        { language: 'python', code: withStartRecord(code, token, freshMark) },
        deadline.signal,
        { safety: { started: (probe, signal) => this.#started(probe, token, signal) } },
      );
      const { fresh, stdout } = takeFreshMark(outcome.stdout, freshMark);
      if (stdout.length > 0) options.onStdout(stdout);
      if (outcome.stderr.length > 0) options.onStderr(outcome.stderr);
      const result: AgentCoreRunResult = { exitCode: outcome.exitCode };
      const figures = [...outcome.figures, ...resourceFigures(outcome.resources)];
      if (figures.length > 0) result.figures = figures;
      const restarted = this.#remote.takeRestarted();
      // A new interpreter in the session that already ran code: the old one died (os._exit, a
      // segfault, out of memory) and the service replaced it silently, variables and all.
      if (restarted || (fresh && this.#ranIn === this.#remote.id)) result.sessionRestarted = true;
      this.#ranIn = this.#remote.id;
      return result;
    } catch (error) {
      if (error instanceof OutputLostError) {
        if (!error.sessionLost) this.#ranIn = this.#remote.id;
        return error.sessionLost
          ? {
              exitCode: null,
              outputLost: { reason: error.message },
              crashed: { reason: error.message },
            }
          : { exitCode: null, outputLost: { reason: error.message } };
      }
      if (!deadline.signal.aborted) throw error;
      // AgentCore cannot interrupt a running command: the session may still be busy with the
      // code, so it is stopped rather than reused in an unknown state.
      const interrupted = deadline.timedOut ? 'timeout' : 'abort';
      this.#remote.retire();
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
      deadline.dispose();
    }
  }

  /** Whether the code of `token` started: its start record exists (see started-marker.ts). */
  async #started(
    probe: InvokeTool,
    token: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<boolean> {
    const { code, mark } = probeCode(token);
    const outcome = await probe('executeCode', { language: 'python', code }, abortSignal);
    const answer = readProbe(outcome.stdout, mark);
    if (answer === undefined) throw new Error('the start check gave no answer');
    return answer;
  }

  /** Work to do in a service session that replaces a lost or expired one, before any call runs there. */
  onReplaced(setup: () => Promise<void>): void {
    this.#remote.onReplaced(setup);
  }

  /**
   * Lets go of the service session without stopping it, and returns its id: another process can
   * go on with it through `agentCoreBackend().attachSession(id)` (or `new CodeSandbox({
   * backend, sessionId })`). This object is closed afterwards.
   */
  async detach(): Promise<string> {
    return this.#remote.detach() ?? '';
  }

  async writeFiles(files: SandboxFile[], options: { abortSignal?: AbortSignal } = {}) {
    await sessionFiles.writeFiles(this.#remote.invoke, files, options.abortSignal);
  }

  async readFile(path: string, options: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    const [file] = await this.readFiles([path], options);
    return (file as SessionFileContent).data;
  }

  /** Reads several files in one call, in the order asked, byte for byte. */
  readFiles(
    paths: string[],
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<SessionFileContent[]> {
    return sessionFiles.readFiles(this.#remote.invoke, paths, options.abortSignal);
  }

  /** The entries of a folder of the working directory (tool `listFiles`). */
  listFiles(
    directoryPath = '',
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<SessionFileEntry[]> {
    return sessionFiles.listFiles(this.#remote.invoke, directoryPath, options.abortSignal);
  }

  /** Deletes files (tool `removeFiles`). */
  removeFiles(paths: string[], options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    return sessionFiles.removeFiles(this.#remote.invoke, paths, options.abortSignal);
  }

  /** Runs a shell command in the session's working directory (tool `executeCommand`). */
  executeCommand(
    command: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<CommandResult> {
    return sessionCommands.executeCommand(this.#remote.invoke, command, options.abortSignal);
  }

  /**
   * Starts a shell command in the background in the session's working directory (tool
   * `startCommandExecution`) and answers at once with its task id. Poll it with `getTask()`,
   * end it with `stopTask()`, or use `runLongCommand()` for both.
   */
  startCommand(command: string, options: TaskCallOptions = {}): Promise<{ taskId: string }> {
    return sessionCommands.startCommand(this.#remote.invoke, command, options.abortSignal);
  }

  /**
   * The status of a task started by `startCommand()` (tool `getTask`), with its output and, once
   * it has ended, its exit code. An id the session does not know (another session's, or one from
   * before a session restart) rejects with a `BackendError`.
   */
  getTask(taskId: string, options: TaskCallOptions = {}): Promise<AgentCoreTaskInfo> {
    return sessionCommands.getTask(this.#remote.invoke, taskId, options.abortSignal);
  }

  /** Stops a task started by `startCommand()` (tool `stopTask`); its status becomes `canceled`. */
  stopTask(taskId: string, options: TaskCallOptions = {}): Promise<void> {
    return sessionCommands.stopTask(this.#remote.invoke, taskId, options.abortSignal);
  }

  /**
   * Runs a shell command that may outlast one synchronous call: starts it with `startCommand()`
   * and polls `getTask()` every `pollIntervalMs` until it has ended, then returns its output.
   * A command that ends with a non-zero exit code is data (`exitCode`), not an error. On
   * `timeoutMs` or `abortSignal` the task is stopped and the call rejects with a `TimeoutError`
   * or an `AbortError`.
   */
  runLongCommand(command: string, options: RunLongCommandOptions = {}): Promise<CommandResult> {
    return sessionCommands.runLongCommand(this.#remote.invoke, command, options);
  }

  /** Drops the interpreter's variables but keeps the session and its files (`clearContext`). */
  async clearContext(options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    await this.#remote.invoke(
      'executeCode',
      { language: 'python', code: 'pass', clearContext: true },
      options.abortSignal,
      { safety: 'repeatable' },
    );
  }

  close(): Promise<void> {
    return this.#remote.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
