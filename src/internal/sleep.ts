import { abortedError } from './abort.js';

/** Resolves after `ms`; rejects with the AbortError for `action` when the signal fires first. */
export function sleep(ms: number, abortSignal?: AbortSignal, action = 'The wait'): Promise<void> {
  if (abortSignal?.aborted) return Promise.reject(abortedError(action, abortSignal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(action, abortSignal));
    };
    const timer = setTimeout(() => {
      abortSignal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    abortSignal?.addEventListener('abort', onAbort, { once: true });
  });
}
