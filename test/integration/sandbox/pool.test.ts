import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxPool, type SandboxPool } from '../../../src/sandbox/pool.js';
import {
  type AgentCoreEmulator,
  startAgentCoreEmulator,
} from '../../../src/testing/agentcore-emulator.js';
import type { ExecutionResult } from '../../../src/types/index.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';

let emulator: AgentCoreEmulator | undefined;
let pool: SandboxPool | undefined;

afterEach(async () => {
  await pool?.closeAll();
  await emulator?.close();
  pool = undefined;
  emulator = undefined;
});

/** Each conversation stores its own id, then reads it back twice. */
async function conversation(target: SandboxPool, id: string): Promise<ExecutionResult[]> {
  const results: ExecutionResult[] = [];
  results.push(await target.executePython(id, `conversation = ${JSON.stringify(id)}`));
  results.push(await target.executePython(id, 'print(conversation)'));
  results.push(await target.executePython(id, 'print(conversation, end="")'));
  return results;
}

/** Every result shows the conversation's own id, or says the session was restarted. */
function checkIsolation(id: string, results: ExecutionResult[]): void {
  for (const result of results.slice(1)) {
    if (result.isError) {
      expect(result.error?.name).toBe('NameError');
      expect(result.sessionRestarted).toBe(true);
    } else {
      expect(result.stdout.trim()).toBe(id);
    }
  }
}

describe('createSandboxPool on the AgentCore emulator (30 requests/s per operation, session cap)', () => {
  it('runs 200 conversations × 3 calls: no throttling reaches callers, no leaks, every session stopped', async () => {
    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: 30,
      maxActiveSessions: 16,
    });
    const backend = emulatorBackend(emulator, { stopOnExit: false });
    pool = createSandboxPool({
      backend,
      maxSessions: 16,
      evictionGraceMs: 50,
      queueTimeoutMs: 120_000,
    });
    const ids = Array.from({ length: 200 }, (_, index) => `conversation-${index}`);
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      ids.map((id) => conversation(pool as SandboxPool, id)),
    );
    const wallMs = performance.now() - started;
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual(
      [],
    );
    let restarted = 0;
    outcomes.forEach((outcome, index) => {
      const results = (outcome as PromiseFulfilledResult<ExecutionResult[]>).value;
      checkIsolation(ids[index] as string, results);
      restarted += results.filter((result) => result.sessionRestarted).length;
    });
    const stats = pool.stats();
    await pool.closeAll();
    expect(emulator.stats.started).toBe(emulator.stats.stopped);
    expect(emulator.stats.active).toBe(0);
    expect(emulator.stats.quotaExceeded).toBe(0);
    expect(pool.stats().started).toBe(pool.stats().stopped);
    expect(stats.queued).toBe(0);
    console.log(
      `pool 200×3: ${wallMs.toFixed(0)} ms, ${(600 / (wallMs / 1000)).toFixed(1)} calls/s, emulator started ${emulator.stats.started}, throttled by the emulator ${emulator.stats.throttled}, limiter waits ${stats.throttled}, evicted ${stats.evicted}, results with sessionRestarted ${restarted}`,
    );
  }, 120_000);

  it('runs on the sandboxed local backend through the emulator too (12 conversations, 4 sessions)', async () => {
    emulator = await startAgentCoreEmulator({ requestsPerSecond: 30, maxActiveSessions: 4 });
    pool = createSandboxPool({
      backend: emulatorBackend(emulator, { stopOnExit: false }),
      maxSessions: 4,
      evictionGraceMs: 20,
    });
    const ids = Array.from({ length: 12 }, (_, index) => `local-${index}`);
    const results = await Promise.all(ids.map((id) => conversation(pool as SandboxPool, id)));
    results.forEach((list, index) => {
      checkIsolation(ids[index] as string, list);
    });
    await pool.closeAll();
    expect(emulator.stats.started).toBe(emulator.stats.stopped);
    expect(emulator.stats.started).toBeGreaterThanOrEqual(12);
    expect(emulator.stats.quotaExceeded).toBe(0);
  }, 60_000);
});
