import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCoreSession } from '../../../src/agentcore.js';
import { localBackend } from '../../../src/backends/local.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { sandplotRejection as caught } from '../../support/rejection.js';

let emulator: AgentCoreEmulator;

beforeAll(async () => {
  emulator = await startAgentCoreEmulator();
});

afterAll(async () => {
  await emulator?.close();
});

/** Code that counts its own runs in the session (a variable) and prints the count. */
const COUNT_RUNS = "runs = globals().get('runs', 0) + 1\nprint('runs', runs)";

describe('at-most-once execution', () => {
  it('does not run the code again when the service answers only an exception frame after running it', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('runs = 0');
    const sessionId = sandbox.sessionId;
    emulator.faults.streamException('internalServerException', { afterRun: true });
    const lost = await sandbox.executePython(COUNT_RUNS);
    expect(lost.isError).toBe(true);
    expect(lost.error?.name).toBe('OutputLost');
    expect(lost.error?.value).toContain('it ran, and its output is lost');
    expect(lost.error?.value).toContain('InternalServerException');
    expect(lost.sessionRestarted).toBeUndefined();
    // Ran once; the session and its variables are kept.
    const next = await sandbox.executePython('print(runs)');
    expect(next.stdout).toBe('1\n');
    expect(next.sessionRestarted).toBeUndefined();
    expect(sandbox.sessionId).toBe(sessionId);
  });

  it('retries an HTTP 500 that came before the stream: the code runs once and the call succeeds', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('runs = 0');
    emulator.faults.serverError(2);
    const result = await sandbox.executePython(COUNT_RUNS);
    expect(result.isError).toBe(false);
    expect(result.stdout).toBe('runs 1\n');
  });

  it('retries an exception frame that came before the code started', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('runs = 0');
    emulator.faults.streamException('internalServerException');
    const result = await sandbox.executePython(COUNT_RUNS);
    expect(result.stdout).toBe('runs 1\n');
  });

  it('finds the start record after the code changed directory', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('import os, tempfile\nos.chdir(tempfile.gettempdir())\nruns = 0');
    emulator.faults.streamException('internalServerException', { afterRun: true });
    const lost = await sandbox.executePython(COUNT_RUNS);
    expect(lost.error?.name).toBe('OutputLost');
    expect((await sandbox.executePython('print(runs)')).stdout).toBe('1\n');
  });

  it('keeps only the newest start records', async () => {
    const session = (await emulatorBackend(emulator).createSession()) as AgentCoreSession;
    try {
      const quiet = { timeoutMs: 30_000, onStdout: () => {}, onStderr: () => {} };
      for (let call = 0; call < 12; call++) await session.runCode('pass', quiet);
      const records = await session.listFiles('.sandplot/started');
      expect(records).toHaveLength(8);
    } finally {
      await session.close();
    }
  });

  it('reports a session that ended while the code ran as lost, and replaces it at the next call', async () => {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('x = 1');
    const stopped = emulator.stats.stopped;
    emulator.faults.streamException('internalServerException', { afterRun: true });
    // The session expires before the start check can run.
    const expire = sandbox.sessionId;
    const pending = sandbox.executePython('import time\ntime.sleep(0.3)');
    setTimeout(() => emulator.faults.expireSession(expire), 100);
    const lost = await pending;
    expect(lost.isError).toBe(true);
    expect(lost.error?.name).toBe('SandboxCrashed');
    expect(lost.error?.value).toContain('session was gone');
    const next = await sandbox.executePython("print('x' in globals())");
    expect(next.sessionRestarted).toBe(true);
    expect(next.stdout).toBe('False\n');
    // The lost session was asked to stop (it had expired: the stop answers not found).
    expect(emulator.stats.stopped).toBe(stopped);
  });
});

describe('attaching to a session', () => {
  it('goes on with a detached session in a second CodeSandbox: one session, variables kept', async () => {
    const started = emulator.stats.started;
    const first = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await first.executePython('kept = 41');
    const sessionId = (await first.detach()) as string;
    expect(sessionId).toMatch(/^[0-9A-Z]{26}$/);
    expect(first.sessionId).toBeUndefined();
    expect((await caught(first.executePython('1'))).code).toBe('SESSION_CLOSED');
    expect(emulator.stats.active).toBeGreaterThan(0);

    const second = new CodeSandbox({ backend: emulatorBackend(emulator), sessionId });
    const result = await second.executePython('print(kept + 1)');
    expect(result.stdout).toBe('42\n');
    expect(result.sessionRestarted).toBeUndefined();
    expect(second.sessionId).toBe(sessionId);
    expect(emulator.stats.started - started).toBe(1);
    const stopped = emulator.stats.stopped;
    await second.close();
    expect(emulator.stats.stopped - stopped).toBe(1);
  });

  it('replaces a session that is gone, and says so', async () => {
    const first = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await first.executePython('kept = 1');
    const sessionId = (await first.detach()) as string;
    emulator.faults.expireSession(sessionId);
    await using second = new CodeSandbox({ backend: emulatorBackend(emulator), sessionId });
    const result = await second.executePython("print('kept' in globals())");
    expect(result.sessionRestarted).toBe(true);
    expect(result.stdout).toBe('False\n');
    expect(second.sessionId).not.toBe(sessionId);
  });

  it('detaches nothing when no session was started', async () => {
    const sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    expect(await sandbox.detach()).toBeUndefined();
  });

  it('refuses sessionId and detach() on the local backend', async () => {
    const sessionId = caught(
      (async () => new CodeSandbox({ backend: localBackend(), sessionId: 'abc' }))(),
    );
    expect((await sessionId).name).toBe('ConfigError');
    await using local = new CodeSandbox({ backend: localBackend() });
    const detach = await caught(local.detach());
    expect(detach.name).toBe('ConfigError');
    expect(detach.message).toContain('close()');
  });
});

describe('shell commands under either output behaviour', () => {
  let terminal: AgentCoreEmulator;
  beforeAll(async () => {
    terminal = await startAgentCoreEmulator({ commandOutput: 'terminal' });
  });
  afterAll(async () => {
    await terminal?.close();
  });

  for (const behaviour of ['separate', 'terminal'] as const) {
    it(`executeCommand and runLongCommand give the command's own streams and exit code (${behaviour})`, async () => {
      const target = behaviour === 'terminal' ? terminal : emulator;
      const session = (await emulatorBackend(target).createSession()) as AgentCoreSession;
      try {
        const command = "printf 'a\\nb\\n'; echo oops >&2; exit 3";
        expect(await session.executeCommand(command)).toEqual({
          stdout: 'a\nb\n',
          stderr: 'oops\n',
          exitCode: 3,
        });
        expect(await session.executeCommand(`echo "it's ok" # a comment`)).toEqual({
          stdout: "it's ok\n",
          stderr: '',
          exitCode: 0,
        });
        const long = await session.runLongCommand(command, { pollIntervalMs: 50 });
        expect(long).toEqual({ stdout: 'a\nb\n', stderr: 'oops\n', exitCode: 3 });
        const { taskId } = await session.startCommand('sleep 0.2; echo done');
        let task = await session.getTask(taskId);
        while (task.status === 'working' || task.status === 'submitted') {
          await new Promise((resolve) => setTimeout(resolve, 50));
          task = await session.getTask(taskId);
        }
        expect(task).toMatchObject({ status: 'completed', stdout: 'done\n', exitCode: 0 });
      } finally {
        await session.close();
      }
    });
  }
});
