import type { ToolArguments, ToolName } from '@aws-sdk/client-bedrock-agentcore';
import { BackendError } from '../../errors/index.js';
import type { StreamOutcome } from './stream-result.js';

/**
 * How a tool call may be repeated after a failure that leaves open whether it ran:
 * - `repeatable`: reading, or writing the same thing again (readFiles, listFiles, writeFiles,
 *   removeFiles, getTask, stopTask, clearContext): repeated like throttling;
 * - `once`: never repeated after such a failure (executeCommand, startCommandExecution);
 * - an object: asks `started` (with a call bound to the same service session) and repeats only
 *   when it answers false. executeCode uses it with its start record.
 */
export type CallSafety =
  | 'repeatable'
  | 'once'
  | {
      started: (probe: InvokeTool, abortSignal: AbortSignal | undefined) => Promise<boolean>;
    };

/** One tool call on the session, read to the end of its stream. */
export type InvokeTool = (
  name: ToolName,
  args: ToolArguments,
  abortSignal: AbortSignal | undefined,
  options?: { safety?: CallSafety },
) => Promise<StreamOutcome>;

const REPEATABLE_TOOLS = new Set<string>([
  'readFiles',
  'listFiles',
  'writeFiles',
  'removeFiles',
  'getTask',
  'stopTask',
]);

/** The safety of a tool call when the caller names none. */
export function defaultSafety(name: ToolName): CallSafety {
  return REPEATABLE_TOOLS.has(name) ? 'repeatable' : 'once';
}

/** Tools whose ResourceNotFoundException may be about a file or a task rather than the session. */
export function mayMissSomethingElse(name: ToolName): boolean {
  return name !== 'executeCode';
}

/**
 * The code's start was recorded, but its result never came: it ran (maybe to its end), and its
 * output is lost. `sessionLost`: the service session is gone as well.
 */
export class OutputLostError extends Error {
  readonly sessionLost: boolean;
  constructor(message: string, options: { cause: unknown; sessionLost: boolean }) {
    super(message, { cause: options.cause });
    this.name = 'OutputLostError';
    this.sessionLost = options.sessionLost;
  }
}

/** ResourceNotFoundException about a file or a task of a session that is still READY. */
export function missingThing(name: ToolName, cause: unknown): BackendError {
  const isFile = name === 'readFiles' || name === 'listFiles' || name === 'removeFiles';
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new BackendError(
    `agentCoreBackend: ${name} named ${isFile ? 'a file or folder' : 'a task'} the session does not have (ResourceNotFoundException: ${detail}).`,
    isFile ? { code: 'FILE_NOT_FOUND', cause } : { cause },
  );
}
