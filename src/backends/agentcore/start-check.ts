import type { ToolArguments, ToolName } from '@aws-sdk/client-bedrock-agentcore';
import { abortedError } from '../../internal/abort.js';
import { type InvokeTool, OutputLostError } from './invoke-outcomes.js';
import type { StreamOutcome } from './stream-result.js';

/** One attempt's failure, sorted: what the invoke loop does next. */
export type AttemptFailure = { kind: 'lost' | 'refused' | 'ambiguous' | 'fatal'; error: unknown };

/** What the check needs from the session whose call failed. */
export interface StartCheckContext {
  /** One request on that same service session (never a replacement), sorted. */
  attempt: (
    name: ToolName,
    args: ToolArguments,
    abortSignal: AbortSignal | undefined,
  ) => Promise<StreamOutcome | AttemptFailure>;
  pause: (retry: number, abortSignal: AbortSignal | undefined) => Promise<void>;
  maxRetries: number;
  /** Called when the session turned out to be gone. */
  sessionGone: () => Promise<void>;
}

/**
 * After a failure that leaves open whether executeCode ran, asks `started` (through a probe bound
 * to the same service session) whether the code had started. Resolves false when it had not, so
 * the call may be repeated; otherwise rejects with an OutputLostError. An answer that cannot be
 * had counts as started: a call is never repeated on a guess.
 */
export async function checkStarted(
  context: StartCheckContext,
  started: (probe: InvokeTool, abortSignal: AbortSignal | undefined) => Promise<boolean>,
  error: unknown,
  abortSignal: AbortSignal | undefined,
): Promise<false> {
  const what = `${describeFailure(error)} before the result of executeCode`;
  const probe: InvokeTool = async (name, args, signal) => {
    for (let retry = 0; ; retry++) {
      const attempt = await context.attempt(name, args, signal);
      if (!('kind' in attempt)) return attempt;
      const repeat = attempt.kind === 'refused' || attempt.kind === 'ambiguous';
      if (!repeat || retry >= context.maxRetries) throw attempt;
      await context.pause(retry, signal);
    }
  };
  let answer: boolean;
  try {
    answer = await started(probe, abortSignal);
  } catch (failure) {
    if (abortSignal?.aborted)
      throw abortedError('InvokeCodeInterpreter (executeCode)', abortSignal);
    if ((failure as AttemptFailure | undefined)?.kind === 'lost') {
      await context.sessionGone();
      throw new OutputLostError(
        `AgentCore answered ${what}, and the session was gone when sandplot checked whether the code had started: it may have run, partly or fully, and its output is lost.`,
        { cause: error, sessionLost: true },
      );
    }
    throw new OutputLostError(
      `AgentCore answered ${what}, and whether the code started could not be checked: it may have run, and its output is lost.`,
      { cause: error, sessionLost: false },
    );
  }
  if (answer) {
    throw new OutputLostError(
      `AgentCore answered ${what}, but the code had started: it ran, and its output is lost.`,
      { cause: error, sessionLost: false },
    );
  }
  return false;
}

/** "InternalServerException (HTTP 500)", "a dropped connection", ... for messages. */
function describeFailure(error: unknown): string {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof shape.name === 'string' && shape.name !== 'Error' ? shape.name : '';
  const status = shape.$metadata?.httpStatusCode;
  if (name === 'EmptyStreamError') return 'with a stream that ended';
  if (name === '') return 'with a failure (the connection may have dropped)';
  return `${name}${typeof status === 'number' ? ` (HTTP ${status})` : ''}`;
}
