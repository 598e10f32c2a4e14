import { AbortError } from '../errors/index.js';

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens held at once: the largest burst. */
  burst: number;
  /** Called each time a caller has to wait for a token. */
  onWait?: () => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  abortSignal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A token bucket shared by every caller: `take()` resolves at once while tokens last, then in
 * FIFO order as tokens come back at `ratePerSecond`. With `burst` tokens at most, any one-second
 * window sees at most `burst + ratePerSecond` takes.
 */
export class TokenBucket {
  readonly #intervalMs: number;
  readonly #burst: number;
  readonly #onWait: (() => void) | undefined;
  #tokens: number;
  #updatedAt: number;
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TokenBucketOptions) {
    this.#intervalMs = 1000 / options.ratePerSecond;
    this.#burst = options.burst;
    this.#onWait = options.onWait;
    this.#tokens = options.burst;
    this.#updatedAt = performance.now();
  }

  /** Callers waiting for a token now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves when the caller may make its call; rejects with an AbortError if aborted first.
   * `onWait` is called (beside the bucket's own) when this caller has to wait.
   */
  take(abortSignal?: AbortSignal, onWait?: () => void): Promise<void> {
    if (abortSignal?.aborted) {
      return Promise.reject(
        new AbortError('The call was aborted while waiting for the rate limiter.', {
          cause: abortSignal.reason,
        }),
      );
    }
    this.#refill();
    if (this.#waiters.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      return Promise.resolve();
    }
    this.#onWait?.();
    onWait?.();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, abortSignal, onAbort: undefined };
      if (abortSignal) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(
            new AbortError('The call was aborted while waiting for the rate limiter.', {
              cause: abortSignal.reason,
            }),
          );
        };
        abortSignal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Rejects every waiter (the pool is closing). */
  cancelAll(error: unknown): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.onAbort) waiter.abortSignal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) / this.#intervalMs);
    this.#updatedAt = now;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    const wait = Math.max(0, (1 - this.#tokens) * this.#intervalMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#waiters.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        const waiter = this.#waiters.shift() as Waiter;
        if (waiter.onAbort) waiter.abortSignal?.removeEventListener('abort', waiter.onAbort);
        waiter.resolve();
      }
      this.#schedule();
    }, Math.ceil(wait));
  }
}
