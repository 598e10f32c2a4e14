import { AbortError } from '../../errors/index.js';

/** Pause before retry number `attempt` (0-based): full jitter over an exponential ceiling. */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.random() * ceiling;
}

/** Waits `delayMs`, rejecting with an AbortError as soon as `abortSignal` fires. */
export function sleep(delayMs: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abortSignal?.aborted) {
      reject(new AbortError('Aborted while waiting to retry.', { cause: abortSignal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('Aborted while waiting to retry.', { cause: abortSignal?.reason }));
    };
    const timer = setTimeout(() => {
      abortSignal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    abortSignal?.addEventListener('abort', onAbort, { once: true });
  });
}
