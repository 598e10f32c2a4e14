import { ConfigError } from '../errors/index.js';
import type { PoolExecuteOptions } from '../sandbox/pool.js';
import type { ExecutionResult } from '../types/index.js';

/**
 * The part of a `SandboxPool` the execute_python tool uses; `createSandboxPool()` fits. The tool
 * tells a pool from a sandbox by its `acquire` method.
 */
export interface ExecutePythonPool {
  executePython(
    conversationId: string,
    code: string,
    options?: PoolExecuteOptions,
  ): Promise<ExecutionResult>;
  acquire(conversationId: string, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Which conversation a call belongs to: a fixed id, or a function of what the adapter knows about
 * the call (LangChain: the RunnableConfig; Strands: the ToolContext; Converse: `{ toolUse,
 * conversationId }`). A function that returns undefined (or an empty string) means "not known".
 */
export type ConversationIdOption<TContext = unknown> =
  | string
  | ((context: TContext) => string | undefined);

/** True for a sandbox pool (an object with `executePython` and `acquire`), false for a sandbox. */
export function isExecutePythonPool(value: unknown): value is ExecutePythonPool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { executePython?: unknown }).executePython === 'function' &&
    typeof (value as { acquire?: unknown }).acquire === 'function'
  );
}

/** The outcome of looking up a call's conversation id. */
export type ConversationIdLookup =
  | { conversationId: string }
  | { conversationId: undefined; cause?: unknown };

/**
 * Finds the conversation id of one call: the call's explicit id first, then the tool's option
 * (a string, or a function of the call's context). Never throws: a function that throws counts as
 * "not found", with the error as `cause`.
 */
export function lookUpConversationId<TContext>(
  option: ConversationIdOption<TContext> | undefined,
  call: { conversationId?: string | undefined; context?: TContext | undefined },
): ConversationIdLookup {
  if (typeof call.conversationId === 'string' && call.conversationId.length > 0) {
    return { conversationId: call.conversationId };
  }
  if (typeof option === 'string') {
    return option.length > 0 ? { conversationId: option } : { conversationId: undefined };
  }
  if (typeof option === 'function') {
    try {
      const found: unknown = option(call.context as TContext);
      if (typeof found === 'string' && found.length > 0) return { conversationId: found };
      if (typeof found === 'number' && Number.isFinite(found)) {
        return { conversationId: String(found) };
      }
      return { conversationId: undefined };
    } catch (error) {
      return { conversationId: undefined, cause: error };
    }
  }
  return { conversationId: undefined };
}

/** The developer-facing error for a pool call without a conversation id: says which option to set. */
export function missingConversationIdError(
  toolName: string,
  help: string | undefined,
  cause?: unknown,
): ConfigError {
  const how =
    help ??
    'Pass `conversationId` (a string, or a function of the call context that returns one) in the tool options, or `conversationId` in the options of tool.invoke().';
  const failed =
    cause === undefined
      ? ''
      : ` The conversationId function threw: ${cause instanceof Error ? cause.message : String(cause)}.`;
  return new ConfigError(
    `${toolName} runs on a sandbox pool but found no conversation id for this call, so the code did not run.${failed} ${how}`,
    cause === undefined ? {} : { cause },
  );
}

/** What the model reads when the tool could not tell which conversation the call belongs to. */
export const MISSING_CONVERSATION_ID_TEXT =
  'The Python sandbox is not available: the application did not say which conversation this call belongs to, so the code did not run. This is not a problem in your code; tell the user that the Python sandbox is unavailable.';
