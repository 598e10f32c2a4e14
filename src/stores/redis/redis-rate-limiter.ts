import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { abortedError, throwIfAborted } from '../../internal/abort.js';
import { sleep } from '../../internal/sleep.js';
import type { StoreRateLimiter, StoreRateLimiterOptions } from '../types.js';

/**
 * A rate limiter shared through Redis, counted by rate-limiter-flexible. Time is cut into windows
 * of `burst / ratePerSecond` seconds that each let `burst` calls through, so any one-second window
 * sees at most `ratePerSecond + burst` (when `burst` ≤ `ratePerSecond`) however many processes
 * take. Windows follow each process's clock: hosts whose clocks differ by d ms can let up to
 * `burst` more through around a window's edge. Within one process, callers go in FIFO order.
 */
export function redisRateLimiter(
  storeClient: unknown,
  keyPrefix: string,
  name: string,
  options: StoreRateLimiterOptions,
  fail: (error: unknown) => Error,
): StoreRateLimiter {
  const windowMs = (1000 * options.burst) / options.ratePerSecond;
  const counter = new RateLimiterRedis({
    storeClient,
    useRedisPackage: true,
    keyPrefix: `${keyPrefix}rate`,
    points: options.burst,
    // A window's key only has to outlive the window; keys are never reused.
    duration: Math.ceil(windowMs / 1000) + 1,
  });
  let tail: Promise<void> = Promise.resolve();

  const takeInTurn = async (abortSignal: AbortSignal | undefined): Promise<void> => {
    let waited = false;
    for (;;) {
      throwIfAborted(abortSignal, 'Waiting for the shared rate limiter');
      const window = Math.floor(Date.now() / windowMs);
      try {
        await counter.consume(`${name}:${window}`, 1);
        return;
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw fail(error);
      }
      if (!waited) {
        waited = true;
        options.onWait?.();
      }
      // A little spread, so processes waiting for the same window do not all ask at its first ms.
      const untilNext = (window + 1) * windowMs - Date.now() + Math.random() * 2;
      await sleep(Math.max(1, untilNext), abortSignal, 'Waiting for the shared rate limiter');
    }
  };

  return {
    take(abortSignal) {
      const previous = tail;
      let finish!: () => void;
      tail = new Promise((resolve) => {
        finish = resolve;
      });
      return (async () => {
        try {
          await untilSettledOrAborted(previous, abortSignal);
          await takeInTurn(abortSignal);
        } finally {
          finish();
        }
      })();
    },
  };
}

function untilSettledOrAborted(turn: Promise<void>, abortSignal?: AbortSignal): Promise<void> {
  if (abortSignal === undefined) return turn;
  throwIfAborted(abortSignal, 'Waiting for the shared rate limiter');
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedError('Waiting for the shared rate limiter', abortSignal));
    abortSignal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      abortSignal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
