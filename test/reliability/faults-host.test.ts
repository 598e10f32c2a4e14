import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../src/backends/local/font-cache.js';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../src/testing.js';
import {
  descendantsOf,
  type HostProcess,
  startHostProcess,
  stillRunningAfter,
} from '../support/host-process.js';
import { recordCase } from './support/case-ledger.js';
import { plotCode, storedFigures, undeliveredFigures } from './support/figure-count.js';

// Faults of the machine sandplot runs on: the sandboxed Python dying, and the host process being
// told to stop (SIGTERM, SIGINT) in the middle of an execution.

const crashes = {
  'os._exit': 'import os\nos._exit(3)',
  segfault: 'import ctypes\nctypes.string_at(0)',
  SIGKILL: 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)',
};

describe('faults: the host and the sandboxed process', () => {
  it('the Python process crashing in a local session', async () => {
    const rounds = 2;
    const tries = rounds * Object.keys(crashes).length;
    let survived = 0;
    let lost = 0;
    const reasons = new Set<string>();
    {
      await using sandbox = new CodeSandbox({ backend: localBackend() });
      await sandbox.executePython('pass');
      for (let round = 0; round < rounds; round++) {
        for (const [kind, crash] of Object.entries(crashes)) {
          const label = `crash-${kind}-${round}`;
          // Shown before the crash: its marker is on stdout already. A figure still open (not
          // shown) when the process dies is never rendered, and cannot be delivered.
          const crashed = await sandbox.executePython(`${plotCode(label)}\nplt.show()\n${crash}`);
          const next = await sandbox.executePython(plotCode(`after-${label}`));
          lost += undeliveredFigures(crashed, 1) + undeliveredFigures(next, 1);
          reasons.add(crashed.error?.value.split('.')[0] ?? '');
          if (
            crashed.isError &&
            crashed.error?.name === 'SandboxCrashed' &&
            storedFigures(crashed, 1) === 1 &&
            next.sessionRestarted === true &&
            !next.isError &&
            storedFigures(next, 1) === 1
          ) {
            survived++;
          }
        }
      }
    }
    recordCase({
      group: 'fault',
      name: 'Python crashes in a local session (os._exit, segfault, SIGKILL)',
      tried: tries,
      survived,
      lost,
      outcome: `SandboxCrashed result (${[...reasons].join('; ')}); the figure shown before the crash stored; next call in a new session, sessionRestarted`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  describe('a signal to the host process during an execution', () => {
    let emulator: AgentCoreEmulator;
    beforeAll(async () => {
      emulator = await startAgentCoreEmulator();
    });
    afterAll(async () => {
      await emulator?.close();
    });

    /** Signals `host` and returns how it ended and how long that took. */
    async function signal(host: HostProcess, which: NodeJS.Signals) {
      const sent = performance.now();
      host.child.kill(which);
      const exit = await host.exited;
      return { exit, tookMs: performance.now() - sent };
    }

    it('AgentCore: the sessions are stopped before the process ends', async () => {
      const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGTERM'];
      const startedBefore = emulator.stats.started;
      const stoppedBefore = emulator.stats.stopped;
      const hosts = signals.map(() =>
        startHostProcess({
          SIGNAL_CHILD_BACKEND: 'agentcore',
          SIGNAL_CHILD_ENDPOINT: emulator.endpoint,
        }),
      );
      await Promise.all(hosts.map((host) => host.event('calling', 60_000)));
      // The long call has reached the emulator.
      await sleep(500);
      const ends = await Promise.all(
        hosts.map((host, index) => signal(host, signals[index] as NodeJS.Signals)),
      );
      const started = emulator.stats.started - startedBefore;
      const stopped = emulator.stats.stopped - stoppedBefore;
      const endedBySignal = ends.filter(
        ({ exit }, index) => exit.signal === signals[index] && exit.code === null,
      ).length;
      const slowestMs = Math.round(Math.max(...ends.map(({ tookMs }) => tookMs)));
      const leaked = emulator.stats.active;
      recordCase({
        group: 'fault',
        name: 'SIGTERM or SIGINT to the host during an AgentCore execution',
        tried: hosts.length,
        survived: Math.min(endedBySignal, stopped),
        lost: leaked,
        outcome: `${stopped} of ${started} sessions stopped; processes ended by their signal within ${slowestMs} ms`,
      });
      expect({ started, stopped, leaked, endedBySignal }).toEqual({
        started: hosts.length,
        stopped: hosts.length,
        leaked: 0,
        endedBySignal: hosts.length,
      });
    });

    it('local: the sandboxed Python is killed and its folder removed', async () => {
      const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
      const temporary = await mkdtemp(join(tmpdir(), 'sandplot-fault-signal-'));
      // bubblewrap binds the session folder from inside a user namespace: it must be searchable.
      await chmod(temporary, 0o755);
      try {
        const hosts = signals.map(() =>
          startHostProcess({
            SIGNAL_CHILD_BACKEND: 'local',
            SIGNAL_CHILD_CACHE_DIR: defaultCacheDir(),
            TMPDIR: temporary,
          }),
        );
        await Promise.all(hosts.map((host) => host.event('running', 60_000)));
        const sandboxes = await Promise.all(hosts.map((host) => descendantsOf(host.pid)));
        const folders = async () =>
          (await readdir(temporary)).filter((name) => name.startsWith('sandplot-local-'));
        const foldersBefore = (await folders()).length;
        const ends = await Promise.all(
          hosts.map((host, index) => signal(host, signals[index] as NodeJS.Signals)),
        );
        const survivors = await stillRunningAfter(sandboxes.flat(), 2_000);
        const foldersLeft = (await folders()).length;
        const endedBySignal = ends.filter(
          ({ exit }, index) => exit.signal === signals[index] && exit.code === null,
        ).length;
        const slowestMs = Math.round(Math.max(...ends.map(({ tookMs }) => tookMs)));
        const survived = hosts.filter(
          (_, index) =>
            ends[index]?.exit.signal === signals[index] &&
            !survivors.some((process) =>
              sandboxes[index]?.some((mine) => mine.pid === process.pid),
            ),
        ).length;
        recordCase({
          group: 'fault',
          name: 'SIGTERM or SIGINT to the host during a local execution',
          tried: hosts.length,
          survived: foldersLeft === 0 ? survived : 0,
          lost: survivors.length + foldersLeft,
          outcome: `${sandboxes.flat().length} sandbox processes (bwrap, python) killed, ${foldersBefore} session folders removed; processes ended by their signal within ${slowestMs} ms`,
        });
        expect({ endedBySignal, survivors, foldersLeft }).toEqual({
          endedBySignal: hosts.length,
          survivors: [],
          foldersLeft: 0,
        });
        expect(foldersBefore).toBe(hosts.length);
      } finally {
        await rm(temporary, { recursive: true, force: true });
      }
    });
  });
});
