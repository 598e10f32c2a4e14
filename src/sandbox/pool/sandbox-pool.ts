import type { SandboxBackend, SandboxFile } from '../../backends/types.js';
import { InvalidInputError, SessionError } from '../../errors/index.js';
import { withoutUndefined } from '../../internal/without-undefined.js';
import { withExecutionSpan } from '../../observability/execution-span.js';
import type { ExecutionResult } from '../../types/index.js';
import { checkCode } from '../check-code.js';
import type { CodeSandbox } from '../code-sandbox.js';
import type { WriteFilesOptions } from '../code-sandbox-options.js';
import { LocalInputFiles } from './local-input-files.js';
import { LostConversations } from './lost-conversations.js';
import { PoolEntry, type PoolEntryHooks } from './pool-entry.js';
import { poolLimiters } from './pool-limiters.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import { PoolSandbox, type PoolSandboxHooks } from './pool-sandbox.js';
import { poolSandboxHooks } from './pool-sandbox-hooks.js';
import type { PoolExecuteOptions, SandboxPool, SandboxPoolStats } from './pool-types.js';
import { rateLimitedBackend } from './rate-limited-backend.js';
import { SharedConversations } from './shared-conversations.js';
import { SharedPoolSupport } from './shared-pool-support.js';
import { abortedWhileQueued, WaitQueue } from './wait-queue.js';
import { WarmSessions } from './warm-sessions.js';

/**
 * A pool of sandboxes, one per conversation id: created on first use and reused, stopped when
 * idle, replaced before the backend's session timeout, bounded by `maxSessions` with a fair FIFO
 * queue, and with every backend call going through shared rate limiters. With a `sessionStore`,
 * pools in several processes share conversations, the session count and the limits.
 */
export class Pool implements SandboxPool {
  readonly #options: ResolvedPoolOptions;
  readonly #backend: SandboxBackend;
  readonly #entryHooks: PoolEntryHooks;
  readonly #sandboxHooks: PoolSandboxHooks;
  readonly #entries = new Map<string, PoolEntry>();
  readonly #queue: WaitQueue<PoolEntry>;
  #pumpTimer: NodeJS.Timeout | undefined;
  /** Sandboxes being stopped: they still hold a slot until their session is gone. */
  #stopping = 0;
  /** Sandboxes the queue asked to evict and that are not stopped yet. */
  #evicting = 0;
  readonly #stopsInFlight = new Set<Promise<void>>();
  readonly #lost = new LostConversations();
  /** Without a shared store: the files kept per conversation (pool.writeFiles). */
  readonly #inputs = new LocalInputFiles();
  readonly #counts = { started: 0, stopped: 0, evicted: 0, restarted: 0, throttled: 0 };
  /** With a `sessionStore`: what the pool shares with the pools of other processes. */
  readonly #shared: SharedPoolSupport | undefined;
  readonly #warm: WarmSessions | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedPoolOptions) {
    this.#options = options;
    const store = options.sessionStore;
    this.#backend = rateLimitedBackend(
      options.backend,
      poolLimiters(options.rateLimits, store, () => {
        this.#counts.throttled++;
      }),
    );
    this.#queue = new WaitQueue({
      maxQueueLength: options.maxQueueLength,
      queueTimeoutMs: options.queueTimeoutMs,
      maxSessions: options.maxSessions,
      onEnqueue: () => this.#pump(),
    });
    const shared =
      store &&
      new SharedConversations({
        store,
        backend: this.#backend,
        maxSessions: options.maxSessions,
        idleTimeoutMs: options.idleTimeoutMs,
        lockExpiryMs: options.lockExpiryMs,
        queueTimeoutMs: options.queueTimeoutMs,
      });
    this.#sandboxHooks = poolSandboxHooks({
      shared,
      counts: this.#counts,
      holds: (entry) => this.#entries.get(entry.conversationId) === entry,
      evictForRoom: () => this.#evictForRoom(),
    });
    this.#entryHooks = {
      idleTimeoutMs: options.idleTimeoutMs,
      maxSessionAgeMs: options.maxSessionAgeMs,
      newSandbox: () => this.#newSandbox(),
      holds: (entry) => this.#entries.get(entry.conversationId) === entry,
      expire: (entry, why) => {
        if (why === 'idle') this.#counts.evicted++;
        else this.#counts.restarted++;
        this.#retire(entry);
      },
      // A conversation waiting for room can have this sandbox if it is the oldest idle one.
      released: () => {
        if (this.#queue.length > 0) this.#pump();
      },
    };
    if (options.warmSessions > 0) {
      this.#warm = new WarmSessions(
        withoutUndefined({
          count: options.warmSessions,
          maxSessionAgeMs: options.maxSessionAgeMs,
          newSandbox: () => this.#newSandbox(),
          hasRoom: () => !this.#closed && this.#queue.length === 0 && this.#hasRoom(),
          onChange: () => this.#pump(),
          shared: shared && {
            store: shared.store,
            maxSessions: options.maxSessions,
            slotTtlMs: options.lockExpiryMs,
          },
        }),
      );
      this.#warm.refill();
    }
    this.#shared =
      shared &&
      new SharedPoolSupport(shared, options, {
        newSandbox: (attachTo) => this.#newSandbox(attachTo),
        warm: this.#warm,
      });
  }

  stats(): SandboxPoolStats {
    let active = 0;
    for (const entry of this.#entries.values()) if (entry.busy > 0) active++;
    return {
      active,
      idle: this.#entries.size - active,
      queued: this.#queue.length,
      warm: this.#warm?.ready ?? 0,
      ...this.#counts,
    };
  }

  acquire(
    conversationId: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<CodeSandbox> {
    return this.#withEntry(conversationId, options.abortSignal, async (entry) => entry.sandbox);
  }

  writeFiles(
    conversationId: string,
    files: SandboxFile[],
    options: WriteFilesOptions = {},
  ): Promise<void> {
    return this.#withEntry(conversationId, options.abortSignal, async (entry) => {
      await (this.#shared ?? this.#inputs).write(entry, files, options);
    });
  }

  executePython(
    conversationId: string,
    code: string,
    options: PoolExecuteOptions = {},
  ): Promise<ExecutionResult> {
    try {
      checkCode(code, this.#options.maxCodeBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    const { toolCallId, ...executeOptions } = options;
    let entry: PoolEntry | undefined;
    const run = () =>
      this.#withEntry(conversationId, options.abortSignal, async (leased) => {
        entry = leased;
        const result = await leased.sandbox.executePython(code, executeOptions);
        if (leased.restartPending) {
          leased.restartPending = false;
          result.sessionRestarted = true;
        }
        return result;
      });
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
    this.#inputs.forget(conversationId);
    this.#queue.cancel(
      conversationId,
      new SessionError(`The sandbox of conversation ${conversationId} was closed.`, {
        code: 'SESSION_CLOSED',
      }),
    );
    if (this.#shared) {
      // Under the conversation's lock, whichever process holds its session.
      await this.#shared.end(conversationId, async () => {
        const entry = this.#entries.get(conversationId);
        if (entry === undefined) return undefined;
        const sessionId = entry.current.knownSessionId;
        await this.#stop(entry);
        return sessionId;
      });
      return;
    }
    const entry = this.#entries.get(conversationId);
    if (entry) await this.#stop(entry);
  }

  closeAll(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      this.#queue.cancelAll(closedError());
      clearTimeout(this.#pumpTimer);
      this.#shared?.stopTimers();
      const entries = [...this.#entries.values()];
      const shared = this.#shared;
      // With a shared store, the sessions it still gives to their conversations are let go, not
      // stopped: another process goes on with them.
      await Promise.allSettled(
        entries.map((entry) => this.#stop(entry, shared && ((held) => shared.letGo(held)))),
      );
      await this.#warm?.close();
      await Promise.allSettled([...this.#stopsInFlight]);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }

  /**
   * Leases the conversation's entry, and with a shared store holds its lock and brings the
   * sandbox in line with the store, then runs `task` with the entry's sandbox ready.
   */
  async #withEntry<T>(
    conversationId: string,
    abortSignal: AbortSignal | undefined,
    task: (entry: PoolEntry) => Promise<T>,
  ): Promise<T> {
    const entry = await this.#lease(conversationId, abortSignal);
    try {
      await this.#shared?.enter(entry, abortSignal);
      try {
        await this.#restartIfOld(entry);
        await this.#supply(entry, abortSignal);
        return await task(entry);
      } finally {
        await this.#shared?.leave(entry);
      }
    } finally {
      entry.release();
      // A warm session handed out is replaced once the call that got it is done.
      this.#warm?.refill();
    }
  }

  /** Gives a sandbox new to the conversation the files kept for it, once. */
  async #supply(entry: PoolEntry, abortSignal: AbortSignal | undefined): Promise<void> {
    const current = entry.current;
    if (current.supplied) return;
    current.supplied = true;
    await (this.#shared ?? this.#inputs).supply(entry, abortSignal);
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
    if (!this.#queue.has(conversationId) && this.#queue.length === 0 && this.#canAdmit()) {
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

  /** Room for one more session: conversations, sessions being stopped and warm ones count. */
  #hasRoom(): boolean {
    return (
      this.#entries.size + this.#stopping + (this.#warm?.size ?? 0) < this.#options.maxSessions
    );
  }

  /** A new conversation can have a session: there is room, or a warm one is ready for it. */
  #canAdmit(): boolean {
    return this.#hasRoom() || (this.#warm?.ready ?? 0) > 0;
  }

  /** Gives free slots to the queue in order, evicting idle sandboxes to make room. */
  #pump(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0 && this.#canAdmit()) {
      this.#queue.grantNext((conversationId) => {
        const entry = this.#createEntry(conversationId);
        // Held for the waiting callers until they have run (they mark it busy themselves), so
        // nothing evicts it in between.
        entry.busy++;
        setImmediate(() => entry.release());
        return entry;
      });
    }
    if (this.#queue.length === 0) this.#warm?.refill();
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
      void this.#retire(victim).finally(() => {
        this.#evicting--;
      });
    }
  }

  /**
   * With a shared store whose count is full: stops (or lets go of) this process's least recently
   * used idle sandbox, once it has been idle for `evictionGraceMs`. False when there is none.
   */
  async #evictForRoom(): Promise<boolean> {
    const victim = this.#leastRecentlyUsedIdle();
    if (victim === undefined || victim.lastUsedAt + this.#options.evictionGraceMs > Date.now()) {
      return false;
    }
    this.#counts.evicted++;
    await this.#retire(victim);
    return true;
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
    // With a shared store, the conversation's record says whether it lost its session.
    const restartPending = this.#shared ? false : this.#lost.forget(conversationId);
    const entry = new PoolEntry(
      conversationId,
      restartPending,
      this.#entryHooks,
      this.#warm?.take(),
    );
    this.#entries.set(conversationId, entry);
    return entry;
  }

  /** A sandbox whose sessions report their start, stop and activity to the pool. */
  #newSandbox(attachTo?: string): PoolSandbox {
    return new PoolSandbox(this.#backend, this.#options, this.#sandboxHooks, attachTo);
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

  /**
   * The pool stops a sandbox on its own (idle, too old, evicted): the next result says
   * `sessionRestarted`. With a shared store, only when no other process used it since.
   */
  #retire(entry: PoolEntry): Promise<void> {
    const shared = this.#shared;
    if (shared) return this.#stop(entry, (held) => shared.retire(held));
    this.#lost.remember(entry.conversationId);
    return this.#stop(entry);
  }

  /** Takes the entry out and ends its sandbox (`finish`: close); its slot is free once done. */
  #stop(
    entry: PoolEntry,
    finish: ((entry: PoolEntry) => Promise<void>) | undefined = undefined,
  ): Promise<void> {
    if (this.#entries.get(entry.conversationId) === entry) {
      this.#entries.delete(entry.conversationId);
    }
    entry.stopTimers();
    this.#stopping++;
    const stopping = (finish ?? ((held: PoolEntry) => held.sandbox.close()))(entry)
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
