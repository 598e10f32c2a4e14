import type { CodeSandbox } from '../code-sandbox.js';

/** What an entry needs from its pool. */
export interface PoolEntryHooks {
  readonly idleTimeoutMs: number;
  /** Undefined: sessions are never replaced for their age. */
  readonly maxSessionAgeMs: number | undefined;
  /** A new sandbox for the entry (its first, or the replacement of an old session's). */
  newSandbox(entry: PoolEntry): CodeSandbox;
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
  sandbox: CodeSandbox;
  /** Pool calls (executePython/acquire handing out) plus session calls in flight. */
  busy = 0;
  lastUsedAt = Date.now();
  /** When the current backend session started; undefined while there is none. */
  sessionStartedAt: number | undefined;
  /** The next result must say `sessionRestarted` (the pool replaced or lost the session). */
  restartPending: boolean;
  readonly #hooks: PoolEntryHooks;
  #idleTimer: NodeJS.Timeout | undefined;
  #ageTimer: NodeJS.Timeout | undefined;

  constructor(conversationId: string, restartPending: boolean, hooks: PoolEntryHooks) {
    this.conversationId = conversationId;
    this.restartPending = restartPending;
    this.#hooks = hooks;
    this.sandbox = hooks.newSandbox(this);
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

  /** The backend session started: its age counts from now. */
  sessionStarted(): void {
    this.sessionStartedAt = Date.now();
    clearTimeout(this.#ageTimer);
    this.#ageTimer = undefined;
    const maxAge = this.#hooks.maxSessionAgeMs;
    if (maxAge === undefined) return;
    this.#ageTimer = setTimeout(() => {
      this.#ageTimer = undefined;
      // Busy: the call in flight finishes first and the next one restarts the session.
      if (this.busy === 0 && this.#hooks.holds(this)) this.#hooks.expire(this, 'age');
    }, maxAge);
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
    const old = this.sandbox;
    this.sandbox = this.#hooks.newSandbox(this);
    this.sessionStartedAt = undefined;
    clearTimeout(this.#ageTimer);
    this.restartPending = true;
    return old;
  }

  stopTimers(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#ageTimer);
  }
}
