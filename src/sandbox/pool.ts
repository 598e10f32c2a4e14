import { z } from 'zod';
import type { BackendSession, SandboxBackend } from '../backends/types.js';
import {
  AbortError,
  ConfigError,
  InvalidInputError,
  SandboxPoolBusyError,
  SessionError,
} from '../errors/index.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import { withExecutionSpan } from '../observability/execution-span.js';
import type { ImageSink } from '../sinks/types.js';
import type { CaptureOptions, ExecuteOptions, ExecutionResult } from '../types/index.js';
import { CodeSandbox } from './code-sandbox.js';
import { type BackendLimiters, rateLimitedBackend } from './pool/rate-limited-backend.js';
import { TokenBucket } from './pool/token-bucket.js';

/** Token-bucket limits on the calls the pool's sandboxes make to the backend. */
export interface PoolRateLimits {
  /** Session starts per second, over the whole pool (AgentCore allows 30 per operation). @default 25 */
  sessionStartsPerSecond?: number;
  /** Calls into sessions per second (run code, write, read, remove files), over the whole pool. @default 25 */
  invocationsPerSecond?: number;
  /** Session stops per second, over the whole pool. @default 25 */
  sessionStopsPerSecond?: number;
  /**
   * Calls each limiter lets through at once before spacing them out. Any one-second window sees at
   * most `burst + rate` calls, so keep the sum under the service's quota. @default 1
   */
  burst?: number;
}

export interface SandboxPoolOptions {
  /** Where the code runs: `agentCoreBackend()`, `localBackend()`, ... Shared by every sandbox. */
  backend: SandboxBackend;
  /** Where figures are stored. @default base64Sink() */
  imageSink?: ImageSink;
  /** How figures are captured, for every sandbox. @default CodeSandbox's defaults */
  capture?: CaptureOptions;
  /** Time one execution may take before it is interrupted. @default 120000 */
  timeoutMs?: number;
  /**
   * Sandboxes (sessions) held at once. At the limit, a new conversation evicts the least recently
   * used idle sandbox, or waits in the queue. Keep it at or under the account's quota of
   * concurrent sessions. @default 20
   */
  maxSessions?: number;
  /** A sandbox with no call for this long is stopped; its conversation's next call starts a new one. @default 300000 (5 minutes) */
  idleTimeoutMs?: number;
  /**
   * Age at which a sandbox's session is replaced, between calls (never during one); the next
   * result says `sessionRestarted`. Keep it under the backend's session lifetime (AgentCore:
   * `sessionTimeoutSeconds`, 900 s by default).
   * @default the backend's `sessionLifetimeMs` less a minute (or less a tenth, when shorter than
   * ten minutes): 840000 for AgentCore's default 900 s; no limit for backends whose sessions live
   * until closed
   */
  maxSessionAgeMs?: number;
  /**
   * How long a sandbox must have been idle before a waiting conversation may evict it, so a
   * conversation between two quick calls (the model thinking) keeps its variables. @default 5000
   */
  evictionGraceMs?: number;
  /** Conversations that may wait for a sandbox; one more is refused with `POOL_QUEUE_FULL`. @default 1000 */
  maxQueueLength?: number;
  /** Longest wait for a sandbox before the call fails with `POOL_QUEUE_TIMEOUT`. @default 60000 */
  queueTimeoutMs?: number;
  /** Limits on backend calls, shared by the whole pool. @default { sessionStartsPerSecond: 25, invocationsPerSecond: 25, sessionStopsPerSecond: 25, burst: 1 } */
  rateLimits?: PoolRateLimits;
  /** Tool name on the OpenTelemetry span of each execution. @default 'execute_python' */
  toolName?: string;
  /** Make an OpenTelemetry span per execution (a no-op without `@opentelemetry/api` and an SDK). @default true */
  tracing?: boolean;
}

/** Counts of a pool: gauges (`active`, `idle`, `queued`) and totals since it was created. */
export interface SandboxPoolStats {
  /** Sandboxes with a call in flight. */
  active: number;
  /** Sandboxes held with no call in flight. */
  idle: number;
  /** Conversations waiting for a sandbox. */
  queued: number;
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
  /** Stops the conversation's sandbox (and forgets it). Resolves when its session is stopped. */
  close(conversationId: string): Promise<void>;
  /** Stops every sandbox and refuses further calls. Idempotent. */
  closeAll(): Promise<void>;
  stats(): SandboxPoolStats;
}

const DEFAULTS = {
  maxSessions: 20,
  idleTimeoutMs: 300_000,
  evictionGraceMs: 5000,
  maxQueueLength: 1000,
  queueTimeoutMs: 60_000,
  ratePerSecond: 25,
  burst: 1,
  toolName: 'execute_python',
} as const;

/** Conversations remembered as having lost their sandbox, so their next result says so. */
const MAX_REMEMBERED_LOST = 10_000;

const positive = z.number().positive();
const positiveInteger = z.number().int().positive();

const optionsSchema = z
  .object({
    backend: z.custom<SandboxBackend>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { createSession?: unknown }).createSession === 'function',
      { message: 'expected a backend such as agentCoreBackend() or localBackend()' },
    ),
    imageSink: z.unknown().optional(),
    capture: z.unknown().optional(),
    timeoutMs: positiveInteger.optional(),
    maxSessions: positiveInteger.optional(),
    idleTimeoutMs: positiveInteger.optional(),
    maxSessionAgeMs: positiveInteger.optional(),
    evictionGraceMs: z.number().int().nonnegative().optional(),
    maxQueueLength: z.number().int().nonnegative().optional(),
    queueTimeoutMs: positiveInteger.optional(),
    rateLimits: z
      .object({
        sessionStartsPerSecond: positive.optional(),
        invocationsPerSecond: positive.optional(),
        sessionStopsPerSecond: positive.optional(),
        burst: positiveInteger.optional(),
      })
      .strict()
      .optional(),
    toolName: z.string().min(1).optional(),
    tracing: z.boolean().optional(),
  })
  .strict();

interface Entry {
  readonly conversationId: string;
  sandbox: CodeSandbox;
  /** Pool calls (executePython/acquire handing out) plus session calls in flight. */
  busy: number;
  lastUsedAt: number;
  /** When the current backend session started; undefined while there is none. */
  sessionStartedAt: number | undefined;
  /** The next result must say `sessionRestarted` (the pool replaced or lost the session). */
  restartPending: boolean;
  idleTimer: NodeJS.Timeout | undefined;
  ageTimer: NodeJS.Timeout | undefined;
}

interface Ticket {
  readonly conversationId: string;
  readonly promise: Promise<Entry>;
  resolve: (entry: Entry) => void;
  reject: (error: unknown) => void;
  waiters: number;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * A pool of sandboxes, one per conversation id: created on first use and reused, stopped when
 * idle, replaced before the backend's session timeout, bounded by `maxSessions` with a fair FIFO
 * queue, and with every backend call going through shared token-bucket rate limiters.
 */
export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`Invalid createSandboxPool options: ${detail}.`, {
      cause: parsed.error,
    });
  }
  // imageSink and capture are checked by the first CodeSandbox, so a mistake shows at once.
  new CodeSandbox(
    withoutUndefined({
      backend: options.backend,
      imageSink: options.imageSink,
      capture: options.capture,
      timeoutMs: options.timeoutMs,
    }),
  ).close();
  return new Pool(options);
}

class Pool implements SandboxPool {
  readonly #options: SandboxPoolOptions;
  readonly #maxSessions: number;
  readonly #idleTimeoutMs: number;
  readonly #evictionGraceMs: number;
  #pumpTimer: NodeJS.Timeout | undefined;
  readonly #maxSessionAgeMs: number | undefined;
  readonly #maxQueueLength: number;
  readonly #queueTimeoutMs: number;
  readonly #limiters: BackendLimiters;
  readonly #backend: SandboxBackend;
  readonly #entries = new Map<string, Entry>();
  readonly #tickets = new Map<string, Ticket>();
  readonly #queue: Ticket[] = [];
  /** Sandboxes being stopped: they still hold a slot until their session is gone. */
  #stopping = 0;
  /** Sandboxes the queue asked to evict and that are not stopped yet. */
  #evicting = 0;
  readonly #stopsInFlight = new Set<Promise<void>>();
  readonly #lost = new Set<string>();
  readonly #counts = { started: 0, stopped: 0, evicted: 0, restarted: 0, throttled: 0 };
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SandboxPoolOptions) {
    this.#options = options;
    this.#maxSessions = options.maxSessions ?? DEFAULTS.maxSessions;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    this.#evictionGraceMs = options.evictionGraceMs ?? DEFAULTS.evictionGraceMs;
    this.#maxSessionAgeMs =
      options.maxSessionAgeMs ?? defaultMaxSessionAgeMs(options.backend.sessionLifetimeMs);
    this.#maxQueueLength = options.maxQueueLength ?? DEFAULTS.maxQueueLength;
    this.#queueTimeoutMs = options.queueTimeoutMs ?? DEFAULTS.queueTimeoutMs;
    const limits = options.rateLimits ?? {};
    const burst = limits.burst ?? DEFAULTS.burst;
    const onWait = () => {
      this.#counts.throttled++;
    };
    const bucket = (rate: number | undefined) =>
      new TokenBucket({ ratePerSecond: rate ?? DEFAULTS.ratePerSecond, burst, onWait });
    this.#limiters = {
      start: bucket(limits.sessionStartsPerSecond),
      invoke: bucket(limits.invocationsPerSecond),
      stop: bucket(limits.sessionStopsPerSecond),
    };
    this.#backend = rateLimitedBackend(options.backend, this.#limiters);
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
      return entry.sandbox;
    } finally {
      this.#release(entry);
    }
  }

  executePython(
    conversationId: string,
    code: string,
    options: PoolExecuteOptions = {},
  ): Promise<ExecutionResult> {
    if (typeof code !== 'string' || code.trim().length === 0) {
      return Promise.reject(
        new InvalidInputError(
          typeof code === 'string'
            ? 'executePython got empty code: there is nothing to run.'
            : `executePython expects the code as a string, got ${code === null ? 'null' : typeof code}.`,
        ),
      );
    }
    const { toolCallId, ...executeOptions } = options;
    let entry: Entry | undefined;
    const run = async (): Promise<ExecutionResult> => {
      entry = await this.#lease(conversationId, options.abortSignal);
      try {
        await this.#restartIfOld(entry);
        const result = await entry.sandbox.executePython(code, executeOptions);
        if (entry.restartPending) {
          entry.restartPending = false;
          result.sessionRestarted = true;
        }
        return result;
      } finally {
        this.#release(entry);
      }
    };
    if (this.#options.tracing === false) return run();
    return withExecutionSpan(
      withoutUndefined({
        toolName: this.#options.toolName ?? DEFAULTS.toolName,
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
    this.#lost.delete(conversationId);
    const ticket = this.#tickets.get(conversationId);
    if (ticket) {
      this.#dropTicket(ticket);
      ticket.reject(
        new SessionError(`The sandbox of conversation ${conversationId} was closed.`, {
          code: 'SESSION_CLOSED',
        }),
      );
    }
    const entry = this.#entries.get(conversationId);
    if (entry) await this.#stop(entry);
  }

  closeAll(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      const error = closedError();
      for (const ticket of this.#queue.splice(0)) {
        this.#dropTicket(ticket);
        ticket.reject(error);
      }
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
  async #lease(conversationId: string, abortSignal: AbortSignal | undefined): Promise<Entry> {
    if (typeof conversationId !== 'string' || conversationId.length === 0) {
      throw new InvalidInputError('The sandbox pool needs a non-empty conversation id string.');
    }
    if (this.#closed) throw closedError();
    if (abortSignal?.aborted) throw abortedWhileQueued(abortSignal);
    const existing = this.#entries.get(conversationId);
    if (existing) {
      this.#markBusy(existing);
      return existing;
    }
    if (!this.#tickets.has(conversationId) && this.#queue.length === 0 && this.#hasRoom()) {
      const entry = this.#createEntry(conversationId);
      this.#markBusy(entry);
      return entry;
    }
    const entry = await this.#wait(conversationId, abortSignal);
    // The slot was granted; the entry may have been stopped again before this caller ran.
    if (this.#entries.get(conversationId) !== entry)
      return this.#lease(conversationId, abortSignal);
    this.#markBusy(entry);
    return entry;
  }

  #hasRoom(): boolean {
    return this.#entries.size + this.#stopping < this.#maxSessions;
  }

  #wait(conversationId: string, abortSignal: AbortSignal | undefined): Promise<Entry> {
    let ticket = this.#tickets.get(conversationId);
    if (ticket === undefined) {
      if (this.#queue.length >= this.#maxQueueLength) {
        return Promise.reject(
          new SandboxPoolBusyError(
            'POOL_QUEUE_FULL',
            `The sandbox pool is full (maxSessions ${this.#maxSessions}, all busy) and ${this.#queue.length} conversations are already waiting (maxQueueLength ${this.#maxQueueLength}). Try again later, or raise maxSessions or maxQueueLength.`,
          ),
        );
      }
      ticket = this.#newTicket(conversationId);
    }
    const current = ticket;
    current.waiters++;
    if (abortSignal === undefined) return current.promise;
    return new Promise<Entry>((resolve, reject) => {
      const onAbort = () => {
        current.waiters--;
        if (current.waiters === 0 && !current.settled) {
          this.#dropTicket(current);
          current.reject(abortedWhileQueued(abortSignal));
        }
        reject(abortedWhileQueued(abortSignal));
      };
      abortSignal.addEventListener('abort', onAbort, { once: true });
      current.promise.then(
        (entry) => {
          abortSignal.removeEventListener('abort', onAbort);
          resolve(entry);
        },
        (error: unknown) => {
          abortSignal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  #newTicket(conversationId: string): Ticket {
    let resolve!: (entry: Entry) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<Entry>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers that aborted leave the ticket's own rejection unobserved.
    promise.catch(() => undefined);
    const ticket: Ticket = {
      conversationId,
      promise,
      resolve: (entry) => {
        ticket.settled = true;
        resolve(entry);
      },
      reject: (error) => {
        ticket.settled = true;
        reject(error);
      },
      waiters: 0,
      timer: undefined,
      settled: false,
    };
    ticket.timer = setTimeout(() => {
      this.#dropTicket(ticket);
      ticket.reject(
        new SandboxPoolBusyError(
          'POOL_QUEUE_TIMEOUT',
          `Conversation ${conversationId} waited ${this.#queueTimeoutMs} ms for a sandbox: all ${this.#maxSessions} (maxSessions) were busy. Try again later, or raise maxSessions or queueTimeoutMs.`,
        ),
      );
    }, this.#queueTimeoutMs);
    this.#tickets.set(conversationId, ticket);
    this.#queue.push(ticket);
    this.#pump();
    return ticket;
  }

  #dropTicket(ticket: Ticket): void {
    clearTimeout(ticket.timer);
    if (this.#tickets.get(ticket.conversationId) === ticket) {
      this.#tickets.delete(ticket.conversationId);
    }
    const index = this.#queue.indexOf(ticket);
    if (index >= 0) this.#queue.splice(index, 1);
  }

  /** Gives free slots to the queue in order, evicting idle sandboxes to make room. */
  #pump(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0 && this.#hasRoom()) {
      const ticket = this.#queue.shift() as Ticket;
      this.#dropTicket(ticket);
      const entry = this.#createEntry(ticket.conversationId);
      // Held for the waiting callers until they have run (they mark it busy themselves), so
      // nothing evicts it in between.
      entry.busy++;
      setImmediate(() => this.#release(entry));
      ticket.resolve(entry);
    }
    const now = Date.now();
    while (this.#evicting < this.#queue.length) {
      const victim = this.#leastRecentlyUsedIdle();
      if (victim === undefined) return;
      const graceLeft = victim.lastUsedAt + this.#evictionGraceMs - now;
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
      this.#remember(victim.conversationId);
      void this.#stop(victim).finally(() => {
        this.#evicting--;
      });
    }
  }

  #leastRecentlyUsedIdle(): Entry | undefined {
    let victim: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.busy === 0 && (victim === undefined || entry.lastUsedAt < victim.lastUsedAt)) {
        victim = entry;
      }
    }
    return victim;
  }

  #createEntry(conversationId: string): Entry {
    const entry: Entry = {
      conversationId,
      sandbox: undefined as unknown as CodeSandbox,
      busy: 0,
      lastUsedAt: Date.now(),
      sessionStartedAt: undefined,
      restartPending: this.#lost.delete(conversationId),
      idleTimer: undefined,
      ageTimer: undefined,
    };
    entry.sandbox = this.#newSandbox(entry);
    this.#entries.set(conversationId, entry);
    return entry;
  }

  /** A CodeSandbox whose sessions report their start, stop and activity to `entry`. */
  #newSandbox(entry: Entry): CodeSandbox {
    const backend = this.#backend;
    const pool = this;
    const tracked: SandboxBackend = {
      name: backend.name,
      async createSession(sessionOptions) {
        const session = await backend.createSession(sessionOptions);
        pool.#counts.started++;
        if (pool.#entries.get(entry.conversationId) === entry) pool.#sessionStarted(entry);
        return pool.#trackSession(entry, session);
      },
    };
    return new CodeSandbox(
      withoutUndefined({
        backend: tracked,
        imageSink: this.#options.imageSink,
        capture: this.#options.capture,
        timeoutMs: this.#options.timeoutMs,
      }),
    );
  }

  #sessionStarted(entry: Entry): void {
    entry.sessionStartedAt = Date.now();
    clearTimeout(entry.ageTimer);
    entry.ageTimer = undefined;
    const maxAge = this.#maxSessionAgeMs;
    if (maxAge === undefined) return;
    entry.ageTimer = setTimeout(() => {
      entry.ageTimer = undefined;
      // Busy: the call in flight finishes first and the next one restarts the session.
      if (entry.busy === 0 && this.#entries.get(entry.conversationId) === entry) {
        this.#counts.restarted++;
        this.#remember(entry.conversationId);
        void this.#stop(entry);
      }
    }, maxAge);
    entry.ageTimer.unref();
  }

  #trackSession(entry: Entry, session: BackendSession): BackendSession {
    let stopped = false;
    const busy = async <T>(call: () => Promise<T>): Promise<T> => {
      entry.busy++;
      clearTimeout(entry.idleTimer);
      try {
        return await call();
      } finally {
        this.#release(entry);
      }
    };
    const tracked: BackendSession = {
      get id() {
        return session.id;
      },
      get isAlive() {
        return session.isAlive;
      },
      runCode: (code, runOptions) => busy(() => session.runCode(code, runOptions)),
      writeFiles: (files, fileOptions) => busy(() => session.writeFiles(files, fileOptions)),
      readFile: (path, fileOptions) => busy(() => session.readFile(path, fileOptions)),
      close: async () => {
        if (!stopped) {
          stopped = true;
          this.#counts.stopped++;
        }
        await session.close();
      },
    };
    if (session.removeFiles) {
      const removeFiles = session.removeFiles.bind(session);
      tracked.removeFiles = (paths, fileOptions) => busy(() => removeFiles(paths, fileOptions));
    }
    if (session.clearContext) {
      const clearContext = session.clearContext.bind(session);
      tracked.clearContext = (clearOptions) => busy(() => clearContext(clearOptions));
    }
    return tracked;
  }

  #markBusy(entry: Entry): void {
    entry.busy++;
    entry.lastUsedAt = Date.now();
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  #release(entry: Entry): void {
    entry.busy--;
    entry.lastUsedAt = Date.now();
    if (entry.busy > 0 || this.#entries.get(entry.conversationId) !== entry) return;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.busy === 0 && this.#entries.get(entry.conversationId) === entry) {
        this.#counts.evicted++;
        this.#remember(entry.conversationId);
        void this.#stop(entry);
      }
    }, this.#idleTimeoutMs);
    entry.idleTimer.unref();
    // A conversation waiting for room can have this sandbox if it is the oldest idle one.
    if (this.#queue.length > 0) this.#pump();
  }

  /** Replaces the session when it reached `maxSessionAgeMs` and no call is running on it. */
  async #restartIfOld(entry: Entry): Promise<void> {
    const maxAge = this.#maxSessionAgeMs;
    if (
      maxAge === undefined ||
      entry.sessionStartedAt === undefined ||
      Date.now() - entry.sessionStartedAt < maxAge ||
      entry.busy !== 1
    ) {
      return;
    }
    const old = entry.sandbox;
    entry.sandbox = this.#newSandbox(entry);
    entry.sessionStartedAt = undefined;
    clearTimeout(entry.ageTimer);
    entry.restartPending = true;
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
  #stop(entry: Entry): Promise<void> {
    if (this.#entries.get(entry.conversationId) === entry) {
      this.#entries.delete(entry.conversationId);
    }
    clearTimeout(entry.idleTimer);
    clearTimeout(entry.ageTimer);
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

  #remember(conversationId: string): void {
    this.#lost.add(conversationId);
    if (this.#lost.size > MAX_REMEMBERED_LOST) {
      const oldest = this.#lost.values().next().value;
      if (oldest !== undefined) this.#lost.delete(oldest);
    }
  }
}

/** A minute (or a tenth of a short lifetime) before the backend's service ends a session. */
function defaultMaxSessionAgeMs(sessionLifetimeMs: number | undefined): number | undefined {
  if (sessionLifetimeMs === undefined) return undefined;
  return Math.max(1, Math.round(sessionLifetimeMs - Math.min(60_000, sessionLifetimeMs / 10)));
}

function closedError(): SessionError {
  return new SessionError('This sandbox pool was closed; create a new one to run more code.', {
    code: 'SESSION_CLOSED',
  });
}

function abortedWhileQueued(abortSignal: AbortSignal): AbortError {
  return new AbortError('The call was aborted by its abortSignal while waiting for a sandbox.', {
    cause: abortSignal.reason,
  });
}
