import type { SandboxBackend, SandboxFile } from '../../backends/types.js';
import { wrapBackend } from '../../backends/wrap-backend.js';
import { InvalidInputError, SessionError } from '../../errors/index.js';
import { withoutUndefined } from '../../internal/without-undefined.js';
import { withExecutionSpan } from '../../observability/execution-span.js';
import type { ExecutionResult } from '../../types/index.js';
import { checkCode } from '../check-code.js';
import { CodeSandbox } from '../code-sandbox.js';
import type { WriteFilesOptions } from '../code-sandbox-options.js';
import { InputFiles } from '../input-files.js';
import { LostConversations } from './lost-conversations.js';
import { PoolEntry, type PoolEntryHooks } from './pool-entry.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import type { PoolExecuteOptions, SandboxPool, SandboxPoolStats } from './pool-types.js';
import { rateLimitedBackend } from './rate-limited-backend.js';
import { TokenBucket } from './token-bucket.js';
import { abortedWhileQueued, WaitQueue } from './wait-queue.js';

/**
 * A pool of sandboxes, one per conversation id: created on first use and reused, stopped when
 * idle, replaced before the backend's session timeout, bounded by `maxSessions` with a fair FIFO
 * queue, and with every backend call going through shared token-bucket rate limiters.
 */
export class Pool implements SandboxPool {
  readonly #options: ResolvedPoolOptions;
  readonly #backend: SandboxBackend;
  readonly #entryHooks: PoolEntryHooks;
  readonly #entries = new Map<string, PoolEntry>();
  readonly #queue: WaitQueue<PoolEntry>;
  #pumpTimer: NodeJS.Timeout | undefined;
  /** Sandboxes being stopped: they still hold a slot until their session is gone. */
  #stopping = 0;
  /** Sandboxes the queue asked to evict and that are not stopped yet. */
  #evicting = 0;
  readonly #stopsInFlight = new Set<Promise<void>>();
  readonly #lost = new LostConversations();
  /** Files kept per conversation (pool.writeFiles), for every sandbox the conversation gets. */
  readonly #inputs = new Map<string, InputFiles>();
  /** Sandboxes that were given their conversation's kept files. */
  readonly #supplied = new WeakSet<CodeSandbox>();
  readonly #counts = { started: 0, stopped: 0, evicted: 0, restarted: 0, throttled: 0 };
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedPoolOptions) {
    this.#options = options;
    const { burst, ...rates } = options.rateLimits;
    const onWait = () => {
      this.#counts.throttled++;
    };
    const bucket = (ratePerSecond: number) => new TokenBucket({ ratePerSecond, burst, onWait });
    this.#backend = rateLimitedBackend(options.backend, {
      start: bucket(rates.sessionStartsPerSecond),
      invoke: bucket(rates.invocationsPerSecond),
      stop: bucket(rates.sessionStopsPerSecond),
    });
    this.#queue = new WaitQueue({
      maxQueueLength: options.maxQueueLength,
      queueTimeoutMs: options.queueTimeoutMs,
      maxSessions: options.maxSessions,
      onEnqueue: () => this.#pump(),
    });
    this.#entryHooks = {
      idleTimeoutMs: options.idleTimeoutMs,
      maxSessionAgeMs: options.maxSessionAgeMs,
      newSandbox: (entry) => this.#newSandbox(entry),
      holds: (entry) => this.#entries.get(entry.conversationId) === entry,
      expire: (entry, why) => {
        if (why === 'idle') this.#counts.evicted++;
        else this.#counts.restarted++;
        this.#lost.remember(entry.conversationId);
        void this.#stop(entry);
      },
      // A conversation waiting for room can have this sandbox if it is the oldest idle one.
      released: () => {
        if (this.#queue.length > 0) this.#pump();
      },
    };
  }

  stats(): SandboxPoolStats {
    let active = 0;
    for (const entry of this.#entries.values()) if (entry.busy > 0) active++;
    return {
      active,
      idle: this.#entries.size - active,
      queued: this.#queue.length,
      ...this.#counts,
    };
  }

  async acquire(
    conversationId: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<CodeSandbox> {
    const entry = await this.#lease(conversationId, options.abortSignal);
    try {
      await this.#restartIfOld(entry);
      await this.#supply(entry, options.abortSignal);
      return entry.sandbox;
    } finally {
      entry.release();
    }
  }

  async writeFiles(
    conversationId: string,
    files: SandboxFile[],
    options: WriteFilesOptions = {},
  ): Promise<void> {
    const entry = await this.#lease(conversationId, options.abortSignal);
    try {
      await this.#restartIfOld(entry);
      await this.#supply(entry, options.abortSignal);
      await entry.sandbox.writeFiles(files, options);
      let kept = this.#inputs.get(conversationId);
      if (options.keep === false) kept?.forget(files.map((file) => file.path));
      else {
        kept ??= new InputFiles();
        kept.remember(files);
        this.#inputs.set(conversationId, kept);
      }
    } finally {
      entry.release();
    }
  }

  /** Gives a sandbox new to the conversation the files kept for it, once. */
  async #supply(entry: PoolEntry, abortSignal: AbortSignal | undefined): Promise<void> {
    if (this.#supplied.has(entry.sandbox)) return;
    this.#supplied.add(entry.sandbox);
    const kept = this.#inputs.get(entry.conversationId);
    if (kept === undefined || kept.size === 0) return;
    await entry.sandbox.writeFiles(kept.files(), withoutUndefined({ abortSignal }));
  }

  executePython(
    conversationId: string,
    code: string,
    options: PoolExecuteOptions = {},
  ): Promise<ExecutionResult> {
    try {
      checkCode(code);
    } catch (error) {
      return Promise.reject(error);
    }
    const { toolCallId, ...executeOptions } = options;
    let entry: PoolEntry | undefined;
    const run = async (): Promise<ExecutionResult> => {
      const leased = await this.#lease(conversationId, options.abortSignal);
      entry = leased;
      try {
        await this.#restartIfOld(leased);
        await this.#supply(leased, options.abortSignal);
        const result = await leased.sandbox.executePython(code, executeOptions);
        if (leased.restartPending) {
          leased.restartPending = false;
          result.sessionRestarted = true;
        }
        return result;
      } finally {
        leased.release();
      }
    };
    if (!this.#options.tracing) return run();
    return withExecutionSpan(
      withoutUndefined({
        toolName: this.#options.toolName,
        backend: this.#options.backend.name,
        code,
        conversationId,
        toolCallId,
        description: options.description,
      }),
      run,
      { sessionId: () => entry?.sandbox.sessionId },
    );
  }

  async close(conversationId: string): Promise<void> {
    this.#lost.forget(conversationId);
    this.#inputs.delete(conversationId);
    this.#queue.cancel(
      conversationId,
      new SessionError(`The sandbox of conversation ${conversationId} was closed.`, {
        code: 'SESSION_CLOSED',
      }),
    );
    const entry = this.#entries.get(conversationId);
    if (entry) await this.#stop(entry);
  }

  closeAll(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      this.#queue.cancelAll(closedError());
      clearTimeout(this.#pumpTimer);
      const entries = [...this.#entries.values()];
      await Promise.allSettled(entries.map((entry) => this.#stop(entry)));
      await Promise.allSettled([...this.#stopsInFlight]);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }

  /** The conversation's entry, marked busy; waits in the queue when the pool is full. */
  async #lease(conversationId: string, abortSignal: AbortSignal | undefined): Promise<PoolEntry> {
    if (typeof conversationId !== 'string' || conversationId.length === 0) {
      throw new InvalidInputError('The sandbox pool needs a non-empty conversation id string.');
    }
    if (this.#closed) throw closedError();
    if (abortSignal?.aborted) throw abortedWhileQueued(abortSignal);
    const existing = this.#entries.get(conversationId);
    if (existing) {
      existing.markBusy();
      return existing;
    }
    if (!this.#queue.has(conversationId) && this.#queue.length === 0 && this.#hasRoom()) {
      const entry = this.#createEntry(conversationId);
      entry.markBusy();
      return entry;
    }
    const entry = await this.#queue.wait(conversationId, abortSignal);
    // The slot was granted; the entry may have been stopped again before this caller ran.
    if (this.#entries.get(conversationId) !== entry) {
      return this.#lease(conversationId, abortSignal);
    }
    entry.markBusy();
    return entry;
  }

  #hasRoom(): boolean {
    return this.#entries.size + this.#stopping < this.#options.maxSessions;
  }

  /** Gives free slots to the queue in order, evicting idle sandboxes to make room. */
  #pump(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0 && this.#hasRoom()) {
      this.#queue.grantNext((conversationId) => {
        const entry = this.#createEntry(conversationId);
        // Held for the waiting callers until they have run (they mark it busy themselves), so
        // nothing evicts it in between.
        entry.busy++;
        setImmediate(() => entry.release());
        return entry;
      });
    }
    const now = Date.now();
    while (this.#evicting < this.#queue.length) {
      const victim = this.#leastRecentlyUsedIdle();
      if (victim === undefined) return;
      const graceLeft = victim.lastUsedAt + this.#options.evictionGraceMs - now;
      if (graceLeft > 0) {
        if (this.#pumpTimer === undefined) {
          this.#pumpTimer = setTimeout(() => {
            this.#pumpTimer = undefined;
            this.#pump();
          }, graceLeft);
        }
        return;
      }
      this.#evicting++;
      this.#counts.evicted++;
      this.#lost.remember(victim.conversationId);
      void this.#stop(victim).finally(() => {
        this.#evicting--;
      });
    }
  }

  #leastRecentlyUsedIdle(): PoolEntry | undefined {
    let victim: PoolEntry | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.busy === 0 && (victim === undefined || entry.lastUsedAt < victim.lastUsedAt)) {
        victim = entry;
      }
    }
    return victim;
  }

  #createEntry(conversationId: string): PoolEntry {
    const restartPending = this.#lost.forget(conversationId);
    const entry = new PoolEntry(conversationId, restartPending, this.#entryHooks);
    this.#entries.set(conversationId, entry);
    return entry;
  }

  /** A CodeSandbox whose sessions report their start, stop and activity to `entry`. */
  #newSandbox(entry: PoolEntry): CodeSandbox {
    const backend = wrapBackend(this.#backend, {
      wrapCreateSession: async (_options, create) => {
        const session = await create();
        this.#counts.started++;
        if (this.#entries.get(entry.conversationId) === entry) entry.sessionStarted();
        return session;
      },
      wrapCall: async (_call, proceed) => {
        entry.markBusy();
        try {
          return await proceed();
        } finally {
          entry.release();
        }
      },
      wrapClose: async (close) => {
        this.#counts.stopped++;
        await close();
      },
    });
    return new CodeSandbox(
      withoutUndefined({
        backend,
        imageSink: this.#options.imageSink,
        capture: this.#options.capture,
        outputFiles: this.#options.outputFiles,
        timeoutMs: this.#options.timeoutMs,
      }),
    );
  }

  /** Replaces the session when it reached `maxSessionAgeMs` and no call is running on it. */
  async #restartIfOld(entry: PoolEntry): Promise<void> {
    if (!entry.isDueForRestart) return;
    const old = entry.replaceSandbox();
    this.#counts.restarted++;
    // The old session is stopped before the new one starts, so the pool never holds two.
    this.#stopping++;
    try {
      await old.close().catch(() => undefined);
    } finally {
      this.#stopping--;
    }
  }

  /** Stops the entry's sandbox and frees its slot once the session is gone. */
  #stop(entry: PoolEntry): Promise<void> {
    if (this.#entries.get(entry.conversationId) === entry) {
      this.#entries.delete(entry.conversationId);
    }
    entry.stopTimers();
    this.#stopping++;
    const stopping = entry.sandbox
      .close()
      .catch(() => undefined)
      .finally(() => {
        this.#stopping--;
        this.#stopsInFlight.delete(stopping);
        this.#pump();
      });
    this.#stopsInFlight.add(stopping);
    return stopping;
  }
}

function closedError(): SessionError {
  return new SessionError('This sandbox pool was closed; create a new one to run more code.', {
    code: 'SESSION_CLOSED',
  });
}
