import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SandplotError } from '../../../src/errors/index.js';
import { createSandboxPool, type SandboxPool } from '../../../src/sandbox/pool.js';
import { plainPythonBackend } from '../../../src/testing/agentcore-emulator/plain-python.js';
import {
  type AgentCoreEmulator,
  startAgentCoreEmulator,
} from '../../../src/testing/agentcore-emulator.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

let emulator: AgentCoreEmulator | undefined;
let pool: SandboxPool | undefined;

afterEach(async () => {
  await pool?.closeAll();
  await emulator?.close();
  pool = undefined;
  emulator = undefined;
});

describe('pool lifecycle on the AgentCore emulator, with short real timers', () => {
  it('stops a sandbox idle for idleTimeoutMs; the next call says sessionRestarted', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    pool = createSandboxPool({
      backend: emulatorBackend(emulator, { stopOnExit: false }),
      idleTimeoutMs: 400,
    });
    const first = await pool.executePython('a', 'x = 41');
    expect(first.sessionRestarted).toBeUndefined();
    // Calls keep it alive: each one restarts the idle clock.
    await delay(250);
    expect((await pool.executePython('a', 'x += 1; print(x)')).stdout).toBe('42\n');
    await delay(150);
    expect(pool.stats()).toMatchObject({ idle: 1, evicted: 0, stopped: 0 });
    await delay(600);
    expect(pool.stats()).toMatchObject({ idle: 0, active: 0, evicted: 1, started: 1, stopped: 1 });
    expect(emulator.stats.active).toBe(0);
    const after = await pool.executePython('a', 'print(x)');
    expect(after.isError).toBe(true);
    expect(after.error?.name).toBe('NameError');
    expect(after.sessionRestarted).toBe(true);
    // Only the first result after the loss says so.
    expect((await pool.executePython('a', 'print(1)')).sessionRestarted).toBeUndefined();
  });

  it('replaces a session at maxSessionAgeMs between calls, never during one', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    pool = createSandboxPool({
      backend: emulatorBackend(emulator, { stopOnExit: false }),
      maxSessionAgeMs: 600,
      idleTimeoutMs: 60_000,
    });
    await pool.executePython('a', 'x = 1');
    const sessionBefore = (await pool.acquire('a')).sessionId;
    // This call runs past the session's age: it finishes in the same session.
    const long = await pool.executePython('a', 'import time\ntime.sleep(0.9)\nx += 1\nprint(x)');
    expect(long.isError).toBe(false);
    expect(long.stdout).toBe('2\n');
    expect(long.sessionRestarted).toBeUndefined();
    expect(pool.stats().restarted).toBe(0);
    // The next call finds the session too old and starts a new one first.
    const next = await pool.executePython('a', 'print(x)');
    expect(next.sessionRestarted).toBe(true);
    expect(next.error?.name).toBe('NameError');
    expect(pool.stats()).toMatchObject({ restarted: 1, started: 2, stopped: 1 });
    expect((await pool.acquire('a')).sessionId).not.toBe(sessionBefore);
    expect(emulator.stats.active).toBe(1);
  });

  it('stops an idle session that reaches maxSessionAgeMs, and says so on the next call', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    pool = createSandboxPool({
      backend: emulatorBackend(emulator, { stopOnExit: false }),
      maxSessionAgeMs: 300,
      idleTimeoutMs: 60_000,
    });
    await pool.executePython('a', 'x = 1');
    await delay(700);
    expect(pool.stats()).toMatchObject({ restarted: 1, stopped: 1, idle: 0 });
    expect(emulator.stats.active).toBe(0);
    const next = await pool.executePython('a', 'print("x" in globals())');
    expect(next.stdout).toBe('False\n');
    expect(next.sessionRestarted).toBe(true);
  });
});

describe('pool queue and eviction', () => {
  it('evicts the least recently used idle sandbox for a new conversation', async () => {
    pool = createSandboxPool({
      backend: plainPythonBackend(),
      maxSessions: 2,
      evictionGraceMs: 0,
    });
    await pool.executePython('a', 'v = "a"');
    await pool.executePython('b', 'v = "b"');
    await pool.executePython('a', 'print(v)'); // b is now the least recently used
    await pool.executePython('c', 'v = "c"');
    expect(pool.stats()).toMatchObject({ evicted: 1, idle: 2, started: 3, stopped: 1 });
    expect((await pool.executePython('a', 'print(v)')).stdout).toBe('a\n');
    const b = await pool.executePython('b', 'print(v)');
    expect(b.sessionRestarted).toBe(true);
    expect(b.error?.name).toBe('NameError');
  });

  it('waits in a FIFO queue while every sandbox is busy, and serves in arrival order', async () => {
    pool = createSandboxPool({ backend: plainPythonBackend(), maxSessions: 1, evictionGraceMs: 0 });
    const order: string[] = [];
    const busy = pool.executePython('a', 'import time\ntime.sleep(0.3)');
    await delay(50);
    const waiting = ['b', 'c', 'd'].map((id) =>
      (pool as SandboxPool).executePython(id, `print("${id}")`).then((result) => {
        order.push(result.stdout.trim());
      }),
    );
    await delay(20);
    expect(pool.stats()).toMatchObject({ active: 1, queued: 3 });
    await busy;
    await Promise.all(waiting);
    expect(order).toEqual(['b', 'c', 'd']);
    expect(pool.stats()).toMatchObject({ queued: 0, evicted: 3, started: 4, stopped: 3 });
  });

  it('gives a clear retryable error when the queue times out or is full', async () => {
    pool = createSandboxPool({
      backend: plainPythonBackend(),
      maxSessions: 1,
      maxQueueLength: 1,
      queueTimeoutMs: 150,
    });
    const busy = pool.executePython('a', 'import time\ntime.sleep(0.6)');
    await delay(50);
    const timedOut = caught(pool.executePython('b', 'print(1)'));
    const full = await caught(pool.executePython('c', 'print(1)'));
    expect(full.code).toBe('POOL_QUEUE_FULL');
    expect(full.isRetryable).toBe(true);
    expect(full.message).toMatch(/maxQueueLength/);
    const timeout = await timedOut;
    expect(SandplotError.isInstance(timeout)).toBe(true);
    expect(timeout.code).toBe('POOL_QUEUE_TIMEOUT');
    expect(timeout.isRetryable).toBe(true);
    expect(timeout.message).toMatch(/queueTimeoutMs/);
    expect(pool.stats().queued).toBe(0);
    await busy;
  });

  it('honours abortSignal while queued', async () => {
    pool = createSandboxPool({ backend: plainPythonBackend(), maxSessions: 1 });
    const busy = pool.executePython('a', 'import time\ntime.sleep(0.3)');
    await delay(50);
    const controller = new AbortController();
    const queued = caught(pool.executePython('b', 'print(1)', { abortSignal: controller.signal }));
    await delay(20);
    expect(pool.stats().queued).toBe(1);
    controller.abort(new Error('user left'));
    const error = await queued;
    expect(error.code).toBe('ABORTED');
    expect(pool.stats().queued).toBe(0);
    await busy;
    expect(pool.stats().started).toBe(1);
  });

  it('close(conversationId) stops one sandbox; closeAll refuses later calls', async () => {
    pool = createSandboxPool({ backend: plainPythonBackend() });
    await pool.executePython('a', 'x = 1');
    await pool.executePython('b', 'x = 2');
    await pool.close('a');
    expect(pool.stats()).toMatchObject({ idle: 1, stopped: 1 });
    const fresh = await pool.executePython('a', 'print("x" in globals())');
    expect(fresh.stdout).toBe('False\n');
    // An explicit close is not a loss the pool has to report.
    expect(fresh.sessionRestarted).toBeUndefined();
    await pool.closeAll();
    expect(pool.stats()).toMatchObject({ started: 3, stopped: 3, idle: 0 });
    expect((await caught(pool.executePython('a', 'print(1)'))).code).toBe('SESSION_CLOSED');
  });

  it('passes maxCodeBytes and maxOutputBytes on to every sandbox it makes', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    pool = createSandboxPool({
      backend: emulatorBackend(emulator, { stopOnExit: false }),
      maxCodeBytes: 200,
      maxOutputBytes: 2048,
    });
    const tooLong = await caught(pool.executePython('a', `x = "${'y'.repeat(300)}"`));
    expect(tooLong).toMatchObject({ code: 'INVALID_INPUT' });
    expect(tooLong.message).toMatch(/over the limit of 200.*maxCodeBytes/);
    expect(emulator.stats.started).toBe(0);
    const loud = await pool.executePython('a', 'print("z" * 100_000)');
    expect(loud.stdout.length).toBeLessThan(2048 + 200);
    expect(loud.stdoutTruncatedChars).toBeGreaterThan(90_000);
    // A sandbox acquired from the pool has the same limits.
    const sandbox = await pool.acquire('b');
    expect(
      (await sandbox.executePython('print("q" * 10_000)')).stdoutTruncatedChars,
    ).toBeGreaterThan(0);
  });

  it('acquire returns the conversation sandbox, valid until the pool stops it', async () => {
    await using disposable = createSandboxPool({
      backend: plainPythonBackend(),
      idleTimeoutMs: 150,
    });
    const sandbox = await disposable.acquire('a');
    expect(await disposable.acquire('a')).toBe(sandbox);
    await sandbox.executePython('y = 5');
    expect((await disposable.executePython('a', 'print(y)')).stdout).toBe('5\n');
    await delay(300);
    expect((await caught(sandbox.executePython('print(y)'))).code).toBe('SESSION_CLOSED');
    expect(await disposable.acquire('a')).not.toBe(sandbox);
  });
});
