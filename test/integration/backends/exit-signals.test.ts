import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../../src/backends/local/font-cache.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../../src/testing.js';
import { emulatorBackend } from '../../support/agentcore-clients.js';
import { descendantsOf, startHostProcess, stillRunningAfter } from '../../support/host-process.js';

/** Waits until `check` holds or `timeoutMs` passes; returns whether it held. */
async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

describe('sessions are stopped when the host process is signalled', () => {
  let emulator: AgentCoreEmulator;
  beforeAll(async () => {
    emulator = await startAgentCoreEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('listens to SIGTERM and SIGINT only while a session is open', async () => {
    const before = {
      SIGTERM: process.listenerCount('SIGTERM'),
      SIGINT: process.listenerCount('SIGINT'),
    };
    const sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    await sandbox.executePython('x = 1');
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT + 1);
    await sandbox.close();
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
  });

  it('AgentCore: SIGTERM during an execution stops the session, then ends the process by SIGTERM', async () => {
    const startedBefore = emulator.stats.started;
    const stoppedBefore = emulator.stats.stopped;
    const host = startHostProcess({
      SIGNAL_CHILD_BACKEND: 'agentcore',
      SIGNAL_CHILD_ENDPOINT: emulator.endpoint,
    });
    await host.event('calling');
    await sleep(500);
    expect(emulator.stats.started).toBe(startedBefore + 1);
    const signalled = Date.now();
    host.child.kill('SIGTERM');
    const exit = await host.exited;
    const tookMs = Date.now() - signalled;

    expect(emulator.stats.stopped).toBe(stoppedBefore + 1);
    expect(emulator.stats.active).toBe(0);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(tookMs).toBeLessThan(3_000);
  });

  it('AgentCore: with a SIGINT listener of the application, stops the session and leaves exiting to it', async () => {
    const stoppedBefore = emulator.stats.stopped;
    const host = startHostProcess({
      SIGNAL_CHILD_BACKEND: 'agentcore',
      SIGNAL_CHILD_ENDPOINT: emulator.endpoint,
      SIGNAL_CHILD_OWN_LISTENER: '1500',
    });
    await host.event('calling');
    await sleep(500);
    host.child.kill('SIGINT');
    await host.event('application-listener');
    // Stopped while the application's own shutdown is still under way.
    expect(await eventually(() => emulator.stats.stopped === stoppedBefore + 1, 1_400)).toBe(true);
    expect(emulator.stats.active).toBe(0);
    expect(await host.exited).toEqual({ code: 7, signal: null });
  });

  it('local: SIGTERM during an execution kills the sandbox and removes its folder', async () => {
    const temporary = await mkdtemp(join(tmpdir(), 'sandplot-signal-'));
    // bubblewrap binds the session folder from inside a user namespace: it must be searchable.
    await chmod(temporary, 0o755);
    try {
      const host = startHostProcess({
        SIGNAL_CHILD_BACKEND: 'local',
        SIGNAL_CHILD_CACHE_DIR: defaultCacheDir(),
        TMPDIR: temporary,
      });
      await host.event('running', 60_000);
      const sandboxProcesses = await descendantsOf(host.pid);
      expect(sandboxProcesses.map((each) => each.command)).toContain('bwrap');
      const folders = await readdir(temporary);
      expect(folders.filter((name) => name.startsWith('sandplot-local-'))).toHaveLength(1);

      host.child.kill('SIGTERM');
      expect(await host.exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(await stillRunningAfter(sandboxProcesses, 2_000)).toEqual([]);
      // tsx keeps its cache there too; only the session folder matters.
      const left = await readdir(temporary);
      expect(left.filter((name) => name.startsWith('sandplot-local-'))).toEqual([]);
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  });
});
