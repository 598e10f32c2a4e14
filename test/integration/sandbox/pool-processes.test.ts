import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentCoreEmulator,
  startAgentCoreEmulator,
} from '../../../src/testing/agentcore-emulator.js';
import {
  type PoolChildConfig,
  type PoolProcess,
  startPoolProcess,
} from '../../support/pool-process.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';

let redis: RedisServer;
let emulator: AgentCoreEmulator | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis.close();
});

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  // Each test starts with an empty store.
  await redis.stop();
  await redis.start();
});

/** `count` separate Node processes, each with a pool on the emulator sharing the Redis store. */
async function processes(
  count: number,
  pool: PoolChildConfig['pool'] = {},
  shared = true,
): Promise<PoolProcess[]> {
  const endpoint = (emulator as AgentCoreEmulator).endpoint;
  return Promise.all(
    Array.from({ length: count }, () =>
      startPoolProcess({ endpoint, ...(shared ? { redisUrl: redis.url } : {}), pool }),
    ),
  );
}

describe('sandbox pools in separate processes sharing a Redis session store (AgentCore emulator)', () => {
  it('continues a conversation in another process with its variables, on one session; ending it from any process stops it', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    const [a, b] = (await processes(2)) as [PoolProcess, PoolProcess];
    await a.execute('moving', 'x = 41');
    const there = await b.execute('moving', 'x += 1\nprint(x)');
    expect(there).toMatchObject({ stdout: '42\n', isError: false, sessionRestarted: false });
    const back = await a.execute('moving', 'print(x)');
    expect(back.stdout).toBe('42\n');
    expect(back.sessionId).toBe(there.sessionId);
    expect(emulator.stats.started).toBe(1);
    // Closing one process's pool lets the session go on for the other.
    await a.closeAll();
    expect(emulator.stats.stopped).toBe(0);
    expect((await b.execute('moving', 'print(x)')).stdout).toBe('42\n');
    await b.closeAll();
    expect(emulator.stats.active).toBe(1);

    // Ending a conversation from a process other than the one that ran it last stops its session.
    const [c, d] = (await processes(2)) as [PoolProcess, PoolProcess];
    await c.execute('ending', 'y = 1');
    await d.execute('ending', 'y += 1');
    await c.close('ending');
    expect(emulator.stats.active).toBe(1);
    const after = await d.execute('ending', 'print("y" in globals())');
    // An explicit end is not a loss: a new session, and no sessionRestarted.
    expect(after).toMatchObject({ stdout: 'False\n', sessionRestarted: false });
    await Promise.all([c.closeAll(), d.closeAll()]);
  }, 60_000);

  it('gives input files to a session that replaces a lost one in another process', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    const [a, b] = (await processes(2)) as [PoolProcess, PoolProcess];
    await a.writeFiles('files', [{ path: 'data.csv', content: 'a,b\n1,2\n' }]);
    const first = await a.execute('files', 'z = 1\nprint(open("data.csv").read(), end="")');
    expect(first.stdout).toBe('a,b\n1,2\n');
    emulator.faults.expireSession(first.sessionId);
    const moved = await b.execute('files', 'print(open("data.csv").read(), end="")');
    expect(moved).toMatchObject({ stdout: 'a,b\n1,2\n', sessionRestarted: true, isError: false });
    expect(moved.sessionId).not.toBe(first.sessionId);
    await Promise.all([a.closeAll(), b.closeAll()]);
  }, 60_000);

  it('two processes racing on a new conversation share one session and run every call in order, one at a time', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    const [a, b] = (await processes(2)) as [PoolProcess, PoolProcess];
    const cell = (who: string, index: number) =>
      `import time\nlog = globals().setdefault("log", [])\nstarted = time.time()\ntime.sleep(0.05)\nlog.append(["${who}", ${index}, started, time.time()])`;
    const run = async (process: PoolProcess, who: string) => {
      for (let index = 0; index < 5; index++) {
        const result = await process.execute('race', cell(who, index));
        expect(result.isError).toBe(false);
      }
    };
    await Promise.all([run(a, 'A'), run(b, 'B')]);
    const log = JSON.parse(
      (await a.execute('race', 'import json\nprint(json.dumps(log))')).stdout,
    ) as [string, number, number, number][];
    expect(log).toHaveLength(10);
    for (const who of ['A', 'B']) {
      expect(log.filter(([name]) => name === who).map(([, index]) => index)).toEqual([
        0, 1, 2, 3, 4,
      ]);
    }
    // One cell at a time: each starts after the one before it ended.
    for (let index = 1; index < log.length; index++) {
      expect((log[index] as number[])[2]).toBeGreaterThanOrEqual(
        (log[index - 1] as number[])[3] as number,
      );
    }
    expect(emulator.stats.started).toBe(1);
    await Promise.all([a.closeAll(), b.closeAll()]);
  }, 60_000);

  it('two processes with the same rate limits together stay under the emulator limit of 7 requests/s', async () => {
    /** 3 conversations × 4 calls in each process, all at once; the calls that failed. */
    const load = async (pools: PoolProcess[]): Promise<number> => {
      let failed = 0;
      await Promise.all(
        pools.flatMap((process, which) =>
          Array.from({ length: 3 }, async (_, conversation) => {
            const id = `limits-${which}-${conversation}`;
            for (let call = 0; call < 4; call++) {
              await process.execute(id, `n = ${call}`).catch(() => failed++);
            }
            await process.close(id).catch(() => failed++);
          }),
        ),
      );
      await Promise.all(pools.map((process) => process.closeAll()));
      return failed;
    };
    const rateLimits = {
      sessionStartsPerSecond: 5,
      invocationsPerSecond: 5,
      sessionStopsPerSecond: 5,
      burst: 1,
    };
    // Each process limited on its own: together they pass the service's limit.
    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: 7,
    });
    await load(await processes(2, { rateLimits }, false));
    const alone = emulator.stats.throttled;
    expect(alone).toBeGreaterThan(0);
    await emulator.close();

    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: 7,
    });
    const started = performance.now();
    expect(await load(await processes(2, { rateLimits }))).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    expect(emulator.stats.throttled).toBe(0);
    expect(emulator.stats.active).toBe(0);
    console.log(
      `2 processes × 12 calls at 5/s shared: ${seconds.toFixed(1)} s, emulator throttled 0 (each on its own: ${alone})`,
    );
  }, 60_000);

  it('a process killed (SIGKILL) holding a conversation delays it by at most the lock expiry', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    const lockExpiryMs = 3000;
    const [a, b] = (await processes(2, { lockExpiryMs })) as [PoolProcess, PoolProcess];
    await a.execute('killed', 'x = 1');
    void a.execute('killed', 'import time\ntime.sleep(1)').catch(() => undefined);
    // A holds the conversation's lock while its cell runs.
    await delay(300);
    a.child.kill('SIGKILL');
    const killedAt = performance.now();
    const reply = await b.execute('killed', 'print(x)');
    const waitedMs = performance.now() - killedAt;
    expect(reply).toMatchObject({ stdout: '1\n', isError: false, sessionRestarted: false });
    // The lock held B back, then expired: at most lockExpiryMs (plus the call itself).
    expect(waitedMs).toBeGreaterThan(lockExpiryMs / 2);
    expect(waitedMs).toBeLessThan(lockExpiryMs + 1500);
    console.log(
      `killed holder: the next call waited ${Math.round(waitedMs)} ms (lockExpiryMs ${lockExpiryMs})`,
    );
    expect(emulator.stats.started).toBe(1);
    await b.closeAll();
  }, 60_000);

  it('fails calls with a retryable STORE_UNAVAILABLE while Redis restarts, then recovers with the variables', async () => {
    emulator = await startAgentCoreEmulator({ sessionInterpreter: 'plain-python' });
    const [a] = (await processes(1)) as [PoolProcess];
    await a.execute('restart', 'x = 5');
    await redis.stop();
    const failure = await a.executeFailure('restart', 'print(x)');
    expect(failure).toMatchObject({
      name: 'SessionStoreError',
      code: 'STORE_UNAVAILABLE',
      isRetryable: true,
    });
    expect(failure.message).toMatch(/Redis session store/);
    await redis.start();
    const restartedAt = performance.now();
    let recovered: Awaited<ReturnType<PoolProcess['execute']>> | undefined;
    for (let attempt = 0; attempt < 50 && recovered === undefined; attempt++) {
      recovered = await a.execute('restart', 'print(x)').catch(async () => {
        await delay(100);
        return undefined;
      });
    }
    expect(recovered).toMatchObject({ stdout: '5\n', isError: false });
    console.log(
      `Redis restarted: the conversation ran again ${Math.round(performance.now() - restartedAt)} ms after Redis was back`,
    );
    expect(emulator.stats.started).toBe(1);
    await a.closeAll();
  }, 60_000);
});
