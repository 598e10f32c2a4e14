import { AbortError, BackendError, InvalidInputError, TimeoutError } from '../../errors/index.js';
import { callDeadline } from '../../internal/call-deadline.js';
import { sleep } from '../../internal/sleep.js';
import {
  type AgentCoreTaskInfo,
  type AgentCoreTaskStatus,
  type CommandResult,
  isTaskFinished,
  type RunLongCommandOptions,
} from './agentcore-session-types.js';
import {
  captureCommand,
  captureTaskCommand,
  createCaptureTag,
  fromTerminal,
  liveOutput,
  readCapture,
} from './command-capture.js';
import type { InvokeTool } from './invoke-outcomes.js';
import type { StreamOutcome } from './stream-result.js';

/**
 * Runs a shell command in the session's working directory (tool `executeCommand`), with its own
 * stdout, stderr and exit code whether the service runs it in a terminal or not
 * (see command-capture.ts).
 */
export async function executeCommand(
  invoke: InvokeTool,
  command: string,
  abortSignal: AbortSignal | undefined,
): Promise<CommandResult> {
  const tag = createCaptureTag();
  const outcome = await invoke(
    'executeCommand',
    { command: captureCommand(command, tag) },
    abortSignal,
  );
  return (
    readCapture(outcome.stdout, tag) ?? {
      stdout: fromTerminal(outcome.stdout),
      stderr: fromTerminal(outcome.stderr),
      exitCode: outcome.exitCode,
    }
  );
}

/** Starts a background command (tool `startCommandExecution`); answers its task id at once. */
export async function startCommand(
  invoke: InvokeTool,
  command: string,
  abortSignal: AbortSignal | undefined,
): Promise<{ taskId: string }> {
  const outcome = await invoke(
    'startCommandExecution',
    { command: captureTaskCommand(command, createCaptureTag()) },
    abortSignal,
  );
  if (outcome.isError || outcome.taskId === undefined) {
    const detail = outcome.texts.join(' ') || outcome.stderr || 'the answer carried no taskId';
    throw new BackendError(`agentCoreBackend: startCommandExecution failed: ${detail}`);
  }
  return { taskId: outcome.taskId };
}

/** The status and output of a background command (tool `getTask`). */
export async function getTask(
  invoke: InvokeTool,
  taskId: string,
  abortSignal: AbortSignal | undefined,
): Promise<AgentCoreTaskInfo> {
  const outcome = await invoke('getTask', { taskId: checkTaskId(taskId) }, abortSignal);
  return taskInfo(taskId, outcome, 'getTask');
}

/** Stops a background command (tool `stopTask`). */
export async function stopTask(
  invoke: InvokeTool,
  taskId: string,
  abortSignal: AbortSignal | undefined,
): Promise<void> {
  const outcome = await invoke('stopTask', { taskId: checkTaskId(taskId) }, abortSignal);
  if (outcome.isError && outcome.taskStatus === undefined) {
    throw new BackendError(
      `agentCoreBackend: stopTask ${taskId} failed: ${outcome.texts.join(' ') || outcome.stderr}`,
    );
  }
}

/**
 * Starts a background command and polls it until it has ended; on `timeoutMs` or `abortSignal`
 * the task is stopped and the call rejects with a `TimeoutError` or an `AbortError`.
 */
export async function runLongCommand(
  invoke: InvokeTool,
  command: string,
  options: RunLongCommandOptions,
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
  const deadline = callDeadline(options.timeoutMs, options.abortSignal);
  let taskId: string | undefined;
  try {
    ({ taskId } = await startCommand(invoke, command, deadline.signal));
    for (;;) {
      const task = await getTask(invoke, taskId, deadline.signal);
      options.onPoll?.(task);
      if (isTaskFinished(task.status)) {
        return {
          stdout: task.stdout ?? '',
          stderr: task.stderr ?? '',
          exitCode: task.exitCode ?? null,
        };
      }
      await sleep(pollIntervalMs, deadline.signal, 'The wait for the task');
    }
  } catch (error) {
    // Whatever went wrong, the command should not keep running unobserved.
    if (taskId !== undefined) await stopTask(invoke, taskId, undefined).catch(() => undefined);
    if (!deadline.signal.aborted) throw error;
    const task = taskId === undefined ? 'the command' : `task ${taskId}`;
    if (deadline.timedOut) {
      throw new TimeoutError(
        `agentCoreBackend: ${task} did not end within ${options.timeoutMs} ms and was stopped. Raise the timeoutMs option of runLongCommand.`,
        { cause: error },
      );
    }
    throw new AbortError(`runLongCommand was aborted by its abortSignal; ${task} was stopped.`, {
      cause: options.abortSignal?.reason,
    });
  } finally {
    deadline.dispose();
  }
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
  const reported = outcome.taskStatus.toLowerCase() as AgentCoreTaskStatus;
  const captured = readCapture(outcome.stdout);
  if (captured !== undefined && reported !== 'canceled') {
    // The command's own exit code, whatever status the service derived from its terminal.
    return {
      taskId: outcome.taskId ?? taskId,
      status: captured.exitCode === 0 ? 'completed' : 'failed',
      ...captured,
      exitCode: captured.exitCode ?? 0,
    };
  }
  return {
    taskId: outcome.taskId ?? taskId,
    status: reported,
    stdout: liveOutput(outcome.stdout),
    stderr: fromTerminal(outcome.stderr),
    ...(outcome.exitCode === null || !isTaskFinished(reported)
      ? {}
      : { exitCode: outcome.exitCode }),
  };
}
