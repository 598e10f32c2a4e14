import type { SandboxBackend } from '../../backends/types.js';
import { wrapBackend } from '../../backends/wrap-backend.js';
import { withoutUndefined } from '../../internal/without-undefined.js';
import { CodeSandbox } from '../code-sandbox.js';
import type { PoolEntry } from './pool-entry.js';
import type { ResolvedPoolOptions } from './pool-options.js';

/** What the pool does around the sessions of the sandboxes it makes. */
export interface PoolSandboxHooks {
  /** A session is about to start for the sandbox (with a shared store: claims its slot). */
  beforeStart(owner: PoolSandbox, abortSignal: AbortSignal | undefined): Promise<void>;
  /** A session started for the sandbox. */
  started(owner: PoolSandbox): void;
  /** Runs around each call into the sandbox's session. */
  aroundCall<T>(
    owner: PoolSandbox,
    abortSignal: AbortSignal | undefined,
    proceed: () => Promise<T>,
  ): Promise<T>;
  /** A session of the sandbox is being stopped. */
  stopping(): void;
}

/**
 * A CodeSandbox the pool made, with what the pool knows about it: the conversation entry that
 * holds it (none for a warm session not handed out yet), the session it goes on with at its
 * first call (attach), and when its session started.
 */
export class PoolSandbox {
  readonly sandbox: CodeSandbox;
  entry: PoolEntry | undefined;
  /** When its current session started (for a warm session: before a conversation had it). */
  startedAt: number | undefined;
  /** It was given its conversation's kept input files. */
  supplied = false;
  /** With a shared store: the slot of a warm session that was not handed to a conversation yet. */
  warmMember: string | undefined;
  #attachTo: string | undefined;

  constructor(
    backend: SandboxBackend,
    options: ResolvedPoolOptions,
    hooks: PoolSandboxHooks,
    attachTo?: string,
  ) {
    this.#attachTo = attachTo;
    const wrapped = wrapBackend(backend, {
      wrapCreateSession: async (createOptions, create) => {
        await hooks.beforeStart(this, createOptions.abortSignal);
        const session = await create();
        this.startedAt = Date.now();
        hooks.started(this);
        return session;
      },
      wrapAttachSession: async (_sessionId, _attachOptions, attach) => {
        const session = await attach();
        this.#attachTo = undefined;
        return session;
      },
      wrapCall: (call, proceed) => hooks.aroundCall(this, call.abortSignal, proceed),
      wrapClose: async (close) => {
        hooks.stopping();
        await close();
      },
    });
    this.sandbox = new CodeSandbox(
      withoutUndefined({
        backend: wrapped,
        imageSink: options.imageSink,
        capture: options.capture,
        outputFiles: options.outputFiles,
        timeoutMs: options.timeoutMs,
        maxCodeBytes: options.maxCodeBytes,
        maxOutputBytes: options.maxOutputBytes,
        sessionId: attachTo,
      }),
    );
  }

  /** The session it goes on with at its first call; undefined once it has (or when it starts its own). */
  get attachTo(): string | undefined {
    return this.#attachTo;
  }

  /** Its session's id, or the one it will attach to; undefined when it has none. */
  get knownSessionId(): string | undefined {
    return this.sandbox.sessionId ?? this.#attachTo;
  }

  /** It has no session and will start a new one at its first call. */
  get isFresh(): boolean {
    return this.sandbox.sessionId === undefined && this.#attachTo === undefined;
  }
}
