import type { CodeSandbox } from '../code-sandbox.js';
import type { PoolSandbox } from './pool-sandbox.js';

/** What an entry needs from its pool. */
export interface PoolEntryHooks {
  readonly idleTimeoutMs: number;
  /** Undefined: sessions are never replaced for their age. */
  readonly maxSessionAgeMs: number | undefined;
  /** A new sandbox that starts its own session (the entry's first, or an old session's replacement). */
  newSandbox(): PoolSandbox;
  /** Whether the pool still holds the entry; the timers of a stopped one do nothing. */
  holds(entry: PoolEntry): boolean;
  /** No call for `idleTimeoutMs` (`idle`), or the session reached `maxSessionAgeMs` while idle (`age`). */
  expire(entry: PoolEntry, why: 'idle' | 'age'): void;
  /** The entry has no call in flight any more. */
  released(entry: PoolEntry): void;
}

/**
 * One conversation's sandbox in a pool, with the count of calls in flight and the two timers
 * that end it: stopped after `idleTimeoutMs` without a call, replaced at `maxSessionAgeMs`.
 */
export class PoolEntry {
  readonly conversationId: string;
  current: PoolSandbox;
  /** Pool calls (executePython/acquire handing out) plus session calls in flight. */
  busy = 0;
  lastUsedAt = Date.now();
  /** When the current backend session started; undefined while there is none. */
  sessionStartedAt: number | undefined;
  /** The next result must say `sessionRestarted` (the pool replaced or lost the session). */
  restartPending: boolean;
  /** With a shared store: the version of the conversation's record this process saw or wrote last. */
  recordVersion: string | undefined;
  readonly #hooks: PoolEntryHooks;
  #idleTimer: NodeJS.Timeout | undefined;
  #ageTimer: NodeJS.Timeout | undefined;

  /** `warm`: a sandbox with a started session to use instead of a new one. */
  constructor(
    conversationId: string,
    restartPending: boolean,
    hooks: PoolEntryHooks,
    warm?: PoolSandbox,
  ) {
    this.conversationId = conversationId;
    this.restartPending = restartPending;
    this.#hooks = hooks;
    this.current = warm ?? hooks.newSandbox();
    this.current.entry = this;
    if (this.current.startedAt !== undefined) this.sessionStarted(this.current.startedAt);
  }

  get sandbox(): CodeSandbox {
    return this.current.sandbox;
  }

  /** A call starts: the entry is busy and not idle any more. */
  markBusy(): void {
    this.busy++;
    this.lastUsedAt = Date.now();
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** A call ended; when it was the last one, the idle timer starts. */
  release(): void {
    this.busy--;
    this.lastUsedAt = Date.now();
    if (this.busy > 0 || !this.#hooks.holds(this)) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.busy === 0 && this.#hooks.holds(this)) this.#hooks.expire(this, 'idle');
    }, this.#hooks.idleTimeoutMs);
    this.#idleTimer.unref();
    this.#hooks.released(this);
  }

  /** The backend session started at `at` (now, or earlier for a warm or attached one). */
  sessionStarted(at = Date.now()): void {
    this.sessionStartedAt = at;
    clearTimeout(this.#ageTimer);
    this.#ageTimer = undefined;
    const maxAge = this.#hooks.maxSessionAgeMs;
    if (maxAge === undefined) return;
    this.#ageTimer = setTimeout(
      () => {
        this.#ageTimer = undefined;
        // Busy: the call in flight finishes first and the next one restarts the session.
        if (this.busy === 0 && this.#hooks.holds(this)) this.#hooks.expire(this, 'age');
      },
      Math.max(0, at + maxAge - Date.now()),
    );
    this.#ageTimer.unref();
  }

  /** The session reached `maxSessionAgeMs` and only the caller holds the entry. */
  get isDueForRestart(): boolean {
    const maxAge = this.#hooks.maxSessionAgeMs;
    return (
      maxAge !== undefined &&
      this.sessionStartedAt !== undefined &&
      Date.now() - this.sessionStartedAt >= maxAge &&
      this.busy === 1
    );
  }

  /** Puts a new sandbox in place and returns the old one, for the caller to close. */
  replaceSandbox(): CodeSandbox {
    const old = this.use(this.#hooks.newSandbox()).sandbox;
    this.restartPending = true;
    return old;
  }

  /** Puts `next` in place (its session's age counts from its start) and returns the old one. */
  use(next: PoolSandbox): PoolSandbox {
    const old = this.current;
    old.entry = undefined;
    this.current = next;
    next.entry = this;
    this.sessionStartedAt = undefined;
    clearTimeout(this.#ageTimer);
    this.#ageTimer = undefined;
    if (next.startedAt !== undefined) this.sessionStarted(next.startedAt);
    return old;
  }

  stopTimers(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#ageTimer);
  }
}
