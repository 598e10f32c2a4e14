import { InvalidInputError } from '../errors/index.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import { withExecutionSpan } from '../observability/execution-span.js';
import type { PoolExecuteOptions } from '../sandbox/pool.js';
import type { ExecutionResult } from '../types/index.js';
import { type FigureLedger, forgetFigureLedger, getFigureLedger } from './figure-ledger.js';
import { type ExecutePythonPool, isExecutePythonPool } from './pool-target.js';
import type { ExecutePythonSandbox, ExecutePythonTarget } from './tool-types.js';

/**
 * What the tool runs each call on, the same for a pool and a sandbox: a pool as it is, a sandbox
 * as a pool of one conversation (every conversation id leads to it, and none is needed).
 */
export interface ToolTarget {
  /** The pool; undefined on a sandbox. */
  readonly pool: ExecutePythonPool | undefined;
  /** The sandbox; undefined on a pool. */
  readonly sandbox: ExecutePythonSandbox | undefined;
  /** Whether a call must say which conversation it belongs to (a pool). */
  readonly needsConversationId: boolean;
  /** Runs the code in the conversation's sandbox, in one span (the pool's, or one made here). */
  executePython(
    conversationId: string | undefined,
    code: string,
    options: PoolExecuteOptions,
  ): Promise<ExecutionResult>;
  /** The figure ledger of the conversation, shared by every tool made for the same target. */
  ledgerFor(conversationId: string | undefined): FigureLedger;
  /** Drops a conversation's figures (a sandbox's ledger is cleared). */
  forgetConversation(conversationId: string): void;
}

/** The span of a call on a sandbox, made as the pool makes it. */
export interface SandboxSpanSettings {
  toolName: string;
  tracing: boolean;
}

/** Sees a pool or a sandbox as a `ToolTarget`. */
export function toToolTarget(target: ExecutePythonTarget, span: SandboxSpanSettings): ToolTarget {
  return isExecutePythonPool(target)
    ? poolTarget(target, span.toolName)
    : sandboxTarget(target, span);
}

function poolTarget(pool: ExecutePythonPool, toolName: string): ToolTarget {
  const ledgerFor = (conversationId: string | undefined): FigureLedger => {
    if (typeof conversationId !== 'string' || conversationId.length === 0) {
      throw new InvalidInputError(
        `${toolName}: ledgerFor/figuresFor need a non-empty conversation id.`,
      );
    }
    return getFigureLedger(pool, conversationId);
  };
  return {
    pool,
    sandbox: undefined,
    needsConversationId: true,
    // The pool makes the span of the call (with the conversation and the tool call id).
    executePython: (conversationId, code, options) =>
      pool.executePython(conversationId as string, code, options),
    ledgerFor,
    forgetConversation: (conversationId) => {
      forgetFigureLedger(pool, conversationId);
    },
  };
}

function sandboxTarget(sandbox: ExecutePythonSandbox, span: SandboxSpanSettings): ToolTarget {
  const ledger = getFigureLedger(sandbox);
  return {
    pool: undefined,
    sandbox,
    needsConversationId: false,
    executePython(conversationId, code, options) {
      const { toolCallId, ...executeOptions } = options;
      const run = () => sandbox.executePython(code, executeOptions);
      if (!span.tracing) return run();
      return withExecutionSpan(
        withoutUndefined({
          toolName: span.toolName,
          backend: sandbox.backendName ?? 'unknown',
          code,
          conversationId,
          toolCallId,
          description: options.description,
        }),
        run,
        { sessionId: () => sandbox.sessionId },
      );
    },
    ledgerFor: () => ledger,
    forgetConversation: () => ledger.clear(),
  };
}
