import { AbortError } from '../errors/index.js';

/** Runs tasks with at most a fixed number of them at once. */
export interface ConcurrencyLimiter {
  /**
   * Runs `task` as soon as a slot is free, first come first served. While it waits, `abortSignal`
   * rejects it with an `AbortError` saying "`{what}` was aborted by the abortSignal.".
   */
  run<T>(task: () => Promise<T>, what: string, abortSignal: AbortSignal | undefined): Promise<T>;
}

/** A limiter of `maximum` tasks at once. */
export function createConcurrencyLimiter(maximum: number): ConcurrencyLimiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const aborted = (what: string, abortSignal: AbortSignal | undefined) =>
    new AbortError(`${what} was aborted by the abortSignal.`, { cause: abortSignal?.reason });
  const acquire = (what: string, abortSignal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      if (abortSignal?.aborted) {
        reject(aborted(what, abortSignal));
        return;
      }
      if (active < maximum) {
        active++;
        resolve();
        return;
      }
      const onAbort = () => {
        const position = waiting.indexOf(grant);
        if (position !== -1) waiting.splice(position, 1);
        reject(aborted(what, abortSignal));
      };
      // The slot passes straight from the releasing task to this one; `active` stays the same.
      const grant = () => {
        abortSignal?.removeEventListener('abort', onAbort);
        resolve();
      };
      abortSignal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(grant);
    });
  return {
    async run(task, what, abortSignal) {
      await acquire(what, abortSignal);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
