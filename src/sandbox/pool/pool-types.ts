import type { SandboxFile } from '../../backends/types.js';
import type { ExecuteOptions, ExecutionResult } from '../../types/index.js';
import type { CodeSandbox } from '../code-sandbox.js';
import type { WriteFilesOptions } from '../code-sandbox-options.js';

/** Counts of a pool: gauges (`active`, `idle`, `queued`) and totals since it was created. */
export interface SandboxPoolStats {
  /** Sandboxes with a call in flight. */
  active: number;
  /** Sandboxes held with no call in flight. */
  idle: number;
  /** Conversations waiting for a sandbox. */
  queued: number;
  /** Warm sessions ready for new conversations (`warmSessions`). */
  warm: number;
  /** Backend sessions started. */
  started: number;
  /** Backend sessions stopped. */
  stopped: number;
  /** Sandboxes the pool stopped on its own: idle for `idleTimeoutMs`, or evicted to make room. */
  evicted: number;
  /** Sessions replaced for reaching `maxSessionAgeMs`. */
  restarted: number;
  /** Backend calls that had to wait for a rate limiter token. */
  throttled: number;
}

export interface PoolExecuteOptions extends ExecuteOptions {
  /** The framework's id of this tool call; recorded on the span. */
  toolCallId?: string;
}

/** One sandbox per conversation, bounded, rate limited and recycled. See docs/scaling.md. */
export interface SandboxPool extends AsyncDisposable {
  /**
   * The conversation's CodeSandbox, created on first use (waiting in the queue at `maxSessions`).
   * It stays valid until the pool stops it: `close(conversationId)`, `closeAll()`, idle for
   * `idleTimeoutMs`, evicted as the least recently used idle sandbox at `maxSessions`, or replaced
   * at `maxSessionAgeMs`; after that its calls reject with `SESSION_CLOSED`. Acquire it again for
   * each turn rather than keeping it; `executePython` does that for you.
   */
  acquire(conversationId: string, options?: { abortSignal?: AbortSignal }): Promise<CodeSandbox>;
  /** Runs code in the conversation's sandbox; the same contract as `CodeSandbox.executePython`. */
  executePython(
    conversationId: string,
    code: string,
    options?: PoolExecuteOptions,
  ): Promise<ExecutionResult>;
  /**
   * Writes files into the conversation's sandbox (the same contract as `CodeSandbox.writeFiles`).
   * The pool keeps them for the conversation (unless `keep: false`) and writes them into every
   * sandbox it later gives the conversation (after an idle stop, an eviction or an age restart),
   * until `close(conversationId)`.
   */
  writeFiles(
    conversationId: string,
    files: SandboxFile[],
    options?: WriteFilesOptions,
  ): Promise<void>;
  /** Stops the conversation's sandbox (and forgets it and its kept files). Resolves when its session is stopped. */
  close(conversationId: string): Promise<void>;
  /** Stops every sandbox and refuses further calls. Idempotent. */
  closeAll(): Promise<void>;
  stats(): SandboxPoolStats;
}
