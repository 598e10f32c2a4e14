import { setTimeout as delay } from 'node:timers/promises';
import {
  GetCodeInterpreterSessionCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { createSandboxPool } from '../../../src/sandbox/pool.js';
import {
  type AgentCoreEmulator,
  startAgentCoreEmulator,
} from '../../../src/testing/agentcore-emulator.js';
import { emulatorBackend, emulatorClient } from '../../support/agentcore-clients.js';

const codeInterpreterIdentifier = 'aws.codeinterpreter.v1';
let emulator: AgentCoreEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    const { name, $metadata } = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${name} ${$metadata?.httpStatusCode ?? ''}`.trim();
  }
}

describe('AgentCore emulator limits', () => {
  it('answers ThrottlingException (HTTP 429) past requestsPerSecond, per operation', async () => {
    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: { GetCodeInterpreterSession: 5 },
    });
    const client = emulatorClient(emulator);
    const { sessionId } = await client.send(
      new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier }),
    );
    const get = () =>
      outcome(
        client.send(new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier, sessionId })),
      );
    const burst = await Promise.all(Array.from({ length: 8 }, get));
    expect(burst.filter((answer) => answer === 'ok')).toHaveLength(5);
    expect(burst.filter((answer) => answer === 'ThrottlingException 429')).toHaveLength(3);
    expect(emulator.stats.throttled).toBe(3);
    // Other operations have their own quota (none here).
    expect(
      await outcome(
        client.send(
          new StopCodeInterpreterSessionCommand({ codeInterpreterIdentifier, sessionId }),
        ),
      ),
    ).toBe('ok');
    // The window slides: a second later the operation is admitted again.
    await delay(1050);
    expect(await get()).toBe('ok');
  });

  it('applies a number to every operation separately', async () => {
    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: 2,
    });
    const client = emulatorClient(emulator);
    const starts = await Promise.all(
      Array.from({ length: 3 }, () =>
        outcome(client.send(new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier }))),
      ),
    );
    expect(starts.sort()).toEqual(['ThrottlingException 429', 'ok', 'ok']);
    expect(emulator.stats.started).toBe(2);
  });

  it('answers ServiceQuotaExceededException past maxActiveSessions', async () => {
    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      maxActiveSessions: 2,
    });
    const client = emulatorClient(emulator);
    const start = () =>
      client.send(new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier }));
    const first = await start();
    await start();
    expect(await outcome(start())).toBe('ServiceQuotaExceededException 402');
    expect(emulator.stats.quotaExceeded).toBe(1);
    await client.send(
      new StopCodeInterpreterSessionCommand({
        codeInterpreterIdentifier,
        sessionId: first.sessionId,
      }),
    );
    expect(await outcome(start())).toBe('ok');
  });

  it('throttles an unlimited fan-out of sandboxes, and not the same load through a pool', async () => {
    emulator = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: 10,
      maxActiveSessions: 200,
    });
    // The backend's own retries (3, short pauses here) may still hide the throttling from callers;
    // the emulator counts it.
    const backend = emulatorBackend(emulator, { stopOnExit: false });
    const sandboxes = Array.from({ length: 30 }, () => new CodeSandbox({ backend }));
    await Promise.allSettled(sandboxes.map((sandbox) => sandbox.executePython('x = 1')));
    // Unlimited stops get throttled as well; the ones that fail leak until the emulator closes.
    await Promise.allSettled(sandboxes.map((sandbox) => sandbox.close()));
    expect(emulator.stats.throttled).toBeGreaterThan(0);

    // The quota windows of the fan-out's last calls pass before the pool starts.
    await delay(1100);
    const throttledBefore = emulator.stats.throttled;
    const activeBefore = emulator.stats.active;
    await using pool = createSandboxPool({
      backend,
      maxSessions: 30,
      rateLimits: { sessionStartsPerSecond: 8, invocationsPerSecond: 8, sessionStopsPerSecond: 8 },
    });
    const pooled = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) => pool.executePython(`c${index}`, 'x = 1')),
    );
    expect(
      pooled.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : [])),
    ).toEqual([]);
    await pool.closeAll();
    expect(emulator.stats.throttled).toBe(throttledBefore);
    expect(emulator.stats.active).toBe(activeBefore);
  });

  it('validates the new options', async () => {
    await expect(startAgentCoreEmulator({ requestsPerSecond: 0 })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(
      startAgentCoreEmulator({ requestsPerSecond: { InvokeCodeInterpreter: -1 } }),
    ).rejects.toThrow(/requestsPerSecond/);
    await expect(
      startAgentCoreEmulator({ sessionInterpreter: 'docker' as 'local' }),
    ).rejects.toThrow(/sessionInterpreter/);
  });
});
