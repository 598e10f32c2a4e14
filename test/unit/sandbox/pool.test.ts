import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { TokenBucket } from '../../../src/sandbox/pool/token-bucket.js';
import { createSandboxPool, type SandboxPoolOptions } from '../../../src/sandbox/pool.js';
import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';

describe('createSandboxPool options', () => {
  const backend = plainPythonBackend();
  it.each([
    [{ maxSessions: 0 }, 'maxSessions'],
    [{ idleTimeoutMs: -1 }, 'idleTimeoutMs'],
    [{ maxSessionAgeMs: 1.5 }, 'maxSessionAgeMs'],
    [{ queueTimeoutMs: 0 }, 'queueTimeoutMs'],
    [{ maxQueueLength: -1 }, 'maxQueueLength'],
    [{ rateLimits: { invocationsPerSecond: 0 } }, 'rateLimits.invocationsPerSecond'],
    [{ rateLimits: { burts: 2 } }, 'rateLimits'],
    [{ maxSesions: 3 }, 'maxSesions'],
    [{ capture: { format: 'gif' } }, 'capture.format'],
  ])('rejects %j with a ConfigError naming %s', (extra, name) => {
    let error: unknown;
    try {
      createSandboxPool({ backend, ...extra } as unknown as SandboxPoolOptions);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain(name);
  });

  it('rejects a missing backend', () => {
    expect(() => createSandboxPool({} as SandboxPoolOptions)).toThrow(/backend/);
  });

  it('rejects bad conversation ids and code before anything starts', async () => {
    const pool = createSandboxPool({ backend });
    await expect(pool.executePython('', 'x = 1')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(pool.executePython('a', '  ')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(pool.stats()).toMatchObject({ started: 0, idle: 0, active: 0 });
    await pool.closeAll();
  });
});

describe('TokenBucket', () => {
  it('spaces calls at the rate after the burst, in FIFO order', async () => {
    let waits = 0;
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 2, onWait: () => waits++ });
    const started = performance.now();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, index) => bucket.take().then(() => order.push(index))),
    );
    const elapsed = performance.now() - started;
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // 2 at once, then 5 more at 20 ms each.
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(waits).toBe(5);
  });

  it('lets an aborted waiter go without taking a token', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 1 });
    await bucket.take();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(bucket.waiting).toBe(0);
  });
});
