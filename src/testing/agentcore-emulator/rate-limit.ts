import type { AgentCoreOperation } from './emulator-options.js';

/** One limit for every operation, or limits operation by operation (others unlimited). */
export type RequestsPerSecond = number | Partial<Record<AgentCoreOperation, number | undefined>>;

const WINDOW_MS = 1000;

/**
 * The service's requests-per-second quota, per operation: a request is admitted when fewer than
 * the limit were admitted in the last second (a sliding window); refused ones do not count.
 */
export class OperationRateLimiter {
  readonly #limits: RequestsPerSecond | undefined;
  readonly #admitted = new Map<AgentCoreOperation, number[]>();

  constructor(limits: RequestsPerSecond | undefined) {
    this.#limits = limits;
  }

  admit(operation: AgentCoreOperation): boolean {
    const limit = typeof this.#limits === 'number' ? this.#limits : this.#limits?.[operation];
    if (limit === undefined) return true;
    const now = performance.now();
    let times = this.#admitted.get(operation);
    if (times === undefined) {
      times = [];
      this.#admitted.set(operation, times);
    }
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= now - WINDOW_MS) expired++;
    if (expired > 0) times.splice(0, expired);
    if (times.length >= limit) return false;
    times.push(now);
    return true;
  }
}
