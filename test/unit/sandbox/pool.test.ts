import { describe, expect, it } from 'vitest';
import { agentCoreBackend } from '../../../src/backends/agentcore.js';
import { ConfigError } from '../../../src/errors/index.js';
import { TokenBucket } from '../../../src/internal/token-bucket.js';
import { reconcile } from '../../../src/sandbox/pool/conversation-record.js';
import { createSandboxPool, type SandboxPoolOptions } from '../../../src/sandbox/pool.js';
import { memorySessionStore } from '../../../src/stores/memory.js';
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
    [{ warmSessions: -1 }, 'warmSessions'],
    [{ warmSessions: 30 }, 'warmSessions'],
    [{ lockExpiryMs: 10 }, 'lockExpiryMs'],
    [{ maxOutputBytes: 100 }, 'maxOutputBytes'],
    [{ maxCodeBytes: 0 }, 'maxCodeBytes'],
    [{ sessionStore: { get() {} } }, 'sessionStore'],
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

  it('refuses a shared session store for a backend whose sessions cannot move (local)', () => {
    let error: unknown;
    try {
      createSandboxPool({ backend, sessionStore: memorySessionStore() });
    } catch (thrown) {
      error = thrown;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/`sessionStore`.*cannot be attached/);
    // A backend that can attach takes one.
    const pool = createSandboxPool({
      backend: agentCoreBackend({ stopOnExit: false }),
      sessionStore: memorySessionStore(),
    });
    expect(pool.stats()).toMatchObject({ started: 0, warm: 0 });
    return pool.closeAll();
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

describe('reconcile: what a process does with its sandbox, given the stored record', () => {
  const active = { state: 'active', sessionId: 's1', startedAt: 5, version: 'v2' } as const;
  it.each([
    [
      'no record: a new conversation, or a store that lost it',
      undefined,
      's1',
      'v1',
      { kind: 'keep' },
    ],
    ['the record this process wrote last', active, 's1', 'v2', { kind: 'keep' }],
    ['another process used the same session', active, 's1', 'v1', { kind: 'keep', startedAt: 5 }],
    [
      'another process moved it to another session',
      active,
      's0',
      'v1',
      { kind: 'attach', sessionId: 's1', startedAt: 5 },
    ],
    [
      'a new process joins a running conversation',
      active,
      undefined,
      undefined,
      { kind: 'attach', sessionId: 's1', startedAt: 5 },
    ],
    [
      'ended from some process',
      { state: 'ended', version: 'v3' },
      's1',
      'v2',
      { kind: 'fresh', restart: false },
    ],
    [
      'stopped as idle by some process',
      { state: 'lost', version: 'v3' },
      's1',
      'v2',
      { kind: 'fresh', restart: true },
    ],
  ] as const)('%s', (_case, record, sessionId, recordVersion, expected) => {
    expect(reconcile(record, { sessionId, recordVersion })).toEqual(expected);
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
