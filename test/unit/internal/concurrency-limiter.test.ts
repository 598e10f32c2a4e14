import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../../../src/errors/index.js';
import { createConcurrencyLimiter } from '../../../src/internal/concurrency-limiter.js';

describe('createConcurrencyLimiter', () => {
  it('runs at most `maximum` tasks at once, in the order they came', async () => {
    const limiter = createConcurrencyLimiter(2);
    let running = 0;
    let mostAtOnce = 0;
    const started: number[] = [];
    const task = (index: number) => async () => {
      started.push(index);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await sleep(10);
      running--;
      return index;
    };
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((index) => limiter.run(task(index), `task ${index}`, undefined)),
    );
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(mostAtOnce).toBe(2);
  });

  it('rejects an aborted waiter with an AbortError and keeps its slot for the others', async () => {
    const limiter = createConcurrencyLimiter(1);
    let release = () => {};
    const first = limiter.run(
      () => new Promise<void>((resolve) => (release = resolve)),
      'the first',
      undefined,
    );
    const caller = new AbortController();
    const waiting = limiter.run(async () => 'never', 'The upload of figure 2', caller.signal);
    caller.abort('enough');
    const error = await waiting.catch((thrown: unknown) => thrown);
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as AbortError).message).toBe(
      'The upload of figure 2 was aborted by the abortSignal.',
    );
    expect((error as AbortError).cause).toBe('enough');
    release();
    await first;
    expect(await limiter.run(async () => 'next', 'the next', undefined)).toBe('next');
    await expect(
      limiter.run(async () => 'late', 'the late one', AbortSignal.abort()),
    ).rejects.toThrow(/the late one was aborted/);
  });
});
