import type { BedrockAgentCoreClient, TaskStatus } from '@aws-sdk/client-bedrock-agentcore';
import type { BackendRunResult } from '../types.js';

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
