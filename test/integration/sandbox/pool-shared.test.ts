import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import {
  createSandboxPool,
  type SandboxPool,
  type SandboxPoolOptions,
} from '../../../src/sandbox/pool.js';
import { memorySessionStore } from '../../../src/stores/memory.js';
import type { SessionStore } from '../../../src/stores/types.js';
import {
  type AgentCoreEmulator,
  startAgentCoreEmulator,
} from '../../../src/testing/agentcore-emulator.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

let emulator: AgentCoreEmulator | undefined;
const pools: SandboxPool[] = [];

afterEach(async () => {
  await Promise.allSettled(pools.splice(0).map((pool) => pool.closeAll()));
  await emulator?.close();
  emulator = undefined;
});

/** Pools on one emulator sharing `store`, as the pools of separate processes share Redis. */
async function sharedPools(
  count: number,
  store: SessionStore | undefined,
  options: Omit<SandboxPoolOptions, 'backend'> = {},
): Promise<SandboxPool[]> {
  emulator ??= await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
  const backend = emulatorBackend(emulator, { stopOnExit: false });
  const made = Array.from({ length: count }, () =>
    createSandboxPool({ backend, ...(store ? { sessionStore: store } : {}), ...options }),
  );
  pools.push(...made);
  return made;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await delay(20);
  }
}

describe('pools sharing a session store (memorySessionStore, AgentCore emulator)', () => {
  it('counts maxSessions over every pool: a pool waits while the others hold them all', async () => {
    const [a, b] = (await sharedPools(2, memorySessionStore(), {
      maxSessions: 2,
      queueTimeoutMs: 600,
    })) as [SandboxPool, SandboxPool];
    await a.executePython('one', 'x = 1');
    await a.executePython('two', 'x = 2');
    const refused = await caught(b.executePython('three', 'x = 3'));
    expect(refused.code).toBe('POOL_QUEUE_TIMEOUT');
    expect(refused.isRetryable).toBe(true);
    expect(refused.message).toMatch(/maxSessions/);
    expect(emulator?.stats.started).toBe(2);
    // Ending a conversation in one pool makes room in the other.
    await a.close('one');
    expect((await b.executePython('three', 'print(3)')).stdout).toBe('3\n');
    expect(emulator?.stats.active).toBe(2);
  });

  it('stops an idle session only when no other pool used it since; the last user stops it', async () => {
    const [a, b] = (await sharedPools(2, memorySessionStore(), { idleTimeoutMs: 500 })) as [
      SandboxPool,
      SandboxPool,
    ];
    await a.executePython('c', 'x = 1');
    await delay(250);
    await b.executePython('c', 'x += 1');
    // A's idle time ran out, but B used the session since: A lets go of it without stopping it.
    await waitFor(() => a.stats().idle === 0);
    expect(emulator?.stats.stopped).toBe(0);
    expect(a.stats().evicted).toBe(1);
    // B's idle time runs out next: B was the last user, so B stops it.
    await waitFor(() => emulator?.stats.stopped === 1);
    expect(emulator?.stats.active).toBe(0);
    const next = await a.executePython('c', 'print(x)');
    expect(next.error?.name).toBe('NameError');
    expect(next.sessionRestarted).toBe(true);
  });

  it('lets go of sessions on closeAll; another pool stops them once their idle time has run out', async () => {
    const [a, b] = (await sharedPools(2, memorySessionStore(), {
      idleTimeoutMs: 300,
      lockExpiryMs: 300,
    })) as [SandboxPool, SandboxPool];
    await a.executePython('left', 'x = 1');
    await a.closeAll();
    expect(emulator?.stats).toMatchObject({ active: 1, stopped: 0 });
    // Nobody comes back to it: B's sweep stops it after its slot expired (idle + 2 × lock expiry).
    await waitFor(() => emulator?.stats.active === 0, 4000);
    expect(b.stats().started).toBe(0);
    const later = await b.executePython('left', 'print(x)');
    expect(later.error?.name).toBe('NameError');
    expect(later.sessionRestarted).toBe(true);
  });

  it('keeps warm sessions ready, hands each to one new conversation, and replaces it', async () => {
    const [pool] = (await sharedPools(1, undefined, { warmSessions: 2, maxSessions: 3 })) as [
      SandboxPool,
    ];
    await waitFor(() => pool.stats().warm === 2);
    expect(emulator?.stats.started).toBe(2);
    const first = await pool.executePython(
      'w1',
      'import sys\nprint("matplotlib.pyplot" in sys.modules, "matplotlib" in globals())',
    );
    // Warmed: pyplot is imported, and no name was left in the conversation's namespace.
    expect(first.stdout).toBe('True False\n');
    expect(first.sessionRestarted).toBeUndefined();
    await waitFor(() => emulator?.stats.started === 3);
    await pool.executePython('w2', 'x = 2');
    const w1 = (await pool.acquire('w1')).sessionId;
    const w2 = (await pool.acquire('w2')).sessionId;
    expect(w1).not.toBe(w2);
    // Warm sessions count against maxSessions: 2 conversations leave room for 1.
    await delay(100);
    expect(pool.stats().warm).toBeLessThanOrEqual(1);
    expect(emulator?.stats.active).toBeLessThanOrEqual(3);
    await pool.closeAll();
    expect(emulator?.stats.active).toBe(0);
  });

  it('gives a warm session place to a conversation of another pool when the shared count is full', async () => {
    const store = memorySessionStore();
    const [a, b] = (await sharedPools(2, store, {
      maxSessions: 2,
      lockExpiryMs: 300,
      queueTimeoutMs: 3000,
    })) as [SandboxPool, SandboxPool];
    await a.closeAll();
    pools.splice(pools.indexOf(a), 1);
    const warmPool = createSandboxPool({
      backend: emulatorBackend(emulator as AgentCoreEmulator, { stopOnExit: false }),
      sessionStore: store,
      maxSessions: 2,
      lockExpiryMs: 300,
      warmSessions: 1,
    });
    pools.push(warmPool);
    await warmPool.executePython('a1', 'x = 1');
    await waitFor(() => warmPool.stats().warm === 1);
    expect(emulator?.stats.active).toBe(2);
    // B's conversation takes the warm session's place at once instead of waiting.
    const started = performance.now();
    expect((await b.executePython('b1', 'print(1)')).stdout).toBe('1\n');
    expect(performance.now() - started).toBeLessThan(2000);
    // The warm session that lost its place is stopped at its next renewal.
    await waitFor(() => emulator?.stats.active === 2 && warmPool.stats().warm === 0);
  });
});

describe('warm sessions on the local backend', () => {
  it('hands a new conversation a started, warmed sandbox and stops them all on closeAll', async () => {
    const pool = createSandboxPool({ backend: localBackend(), warmSessions: 1, maxSessions: 2 });
    pools.push(pool);
    await waitFor(() => pool.stats().warm === 1, 20_000);
    expect(pool.stats().started).toBe(1);
    const first = await pool.executePython(
      'new',
      'import sys\nprint("matplotlib.pyplot" in sys.modules)',
    );
    expect(first.stdout).toBe('True\n');
    // Its session was the warm one; the replacement starts once the call is done.
    await waitFor(() => pool.stats().warm === 1, 20_000);
    expect(pool.stats()).toMatchObject({ started: 2, stopped: 0, idle: 1 });
    await pool.closeAll();
    expect(pool.stats()).toMatchObject({ started: 2, stopped: 2, warm: 0 });
  }, 60_000);
});
