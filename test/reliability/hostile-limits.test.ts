import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { forkUntilRefused } from '../support/python-attempts.js';
import { recordCase } from './support/case-ledger.js';

// Hostile resource use: fork bombs, subprocess spam, memory bombs. The limits must hold, the host
// must survive, and the session keeps its variables or is replaced with a clear report.

/** Host processes whose command line contains `mark`. */
function bombProcesses(mark: string): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(mark)) count++;
    } catch {
      // It exited meanwhile.
    }
  }
  return count;
}

/** Processes in the sandbox's pid namespace (bubblewrap's init and the Python are two). */
async function sandboxProcesses(): Promise<number> {
  const result = await sandbox.executePython(
    "import os\nprint(sum(name.isdigit() for name in os.listdir('/proc')))",
  );
  return Number(result.stdout.trim());
}

/** Waits until the stragglers of a bomb have exited; returns how many processes are left. */
async function settle(timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  let count = await sandboxProcesses();
  while (count > 2 && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    count = await sandboxProcesses();
  }
  return count;
}

let sandbox: CodeSandbox;

beforeAll(async () => {
  // 1 GiB instead of the default 4 GiB: the growing-list bomb writes every byte it allocates,
  // and 4 GB of page faults can outlast timeoutMs on a loaded 2-core machine.
  sandbox = new CodeSandbox({
    backend: localBackend({ maxProcesses: 64, memoryLimitBytes: 2 ** 30 }),
    timeoutMs: 30_000,
  });
  await sandbox.executePython('kept = 42');
});

afterAll(async () => {
  await sandbox?.close();
});

describe('hostile: processes and memory', () => {
  test('a guarded fork bomb stops at maxProcesses, then an unbounded one does too', async () => {
    const guarded = await sandbox.executePython(forkUntilRefused(200, 'len(children), failure'));
    const [forked, failure] = guarded.stdout.trim().split(' ');
    // The unbounded bomb in its own sandbox: it never ends by itself (every freed slot is
    // taken again), so only close() stops it. Its command line marks its processes on the host.
    const mark = `bomb-${Math.random().toString(16).slice(2)}`;
    const bombSandbox = new CodeSandbox({
      backend: localBackend({ maxProcesses: 64 }),
      timeoutMs: 30_000,
    });
    const launched = await bombSandbox.executePython(
      `import subprocess, time\nsubprocess.Popen(['python3', '-c', 'import os  # ${mark}\\nwhile True:\\n    os.fork()'])\ntime.sleep(3)\nimport os\nprint(sum(name.isdigit() for name in os.listdir('/proc')))`,
    );
    const during = Number(launched.stdout.trim());
    const closing = performance.now();
    await bombSandbox.close();
    const closeMs = Math.round(performance.now() - closing);
    const left = bombProcesses(mark);
    const after = await sandbox.executePython('print(kept)');
    const processesAfter = await settle();
    recordCase({
      group: 'hostile',
      name: 'fork bomb: 200 guarded forks, then `while True: os.fork()` for 3 s (maxProcesses 64)',
      tried: 2,
      survived: (failure === 'BlockingIOError' ? 1 : 0) + (during <= 64 && left === 0 ? 1 : 0),
      lost: left,
      outcome: `RLIMIT_NPROC held (uid 65534, counted per user namespace): ${forked} forks then BlockingIOError; a snapshot of the unbounded bomb counted ${during} processes (bounded by 64) and kept churning until close(), which ended all of them in ${closeMs} ms; the other session kept its variables`,
    });
    expect(failure).toBe('BlockingIOError');
    expect(Number(forked)).toBeLessThan(64);
    expect(during).toBeGreaterThan(2);
    expect(during).toBeLessThanOrEqual(64);
    expect(left).toBe(0);
    expect(after.stdout).toBe('42\n');
    expect(processesAfter).toBe(2);
  });

  test('subprocess spam stops at maxProcesses', async () => {
    const result = await sandbox.executePython(`import subprocess
started, failure = [], None
try:
    for _ in range(500):
        started.append(subprocess.Popen(['sleep', '30']))
except OSError as error:
    failure = type(error).__name__
print(len(started), failure)
for process in started:
    process.kill()
    process.wait()`);
    const [count, failure] = result.stdout.trim().split(' ');
    const processesAfter = await settle();
    recordCase({
      group: 'hostile',
      name: 'subprocess spam: 500 × Popen(["sleep", "30"]) (maxProcesses 64)',
      tried: 500,
      survived: 500,
      lost: 0,
      outcome: `${count} started, then ${failure}; ${processesAfter} processes left in the sandbox afterwards`,
    });
    expect(failure).toBe('BlockingIOError');
    expect(Number(count)).toBeLessThan(64);
    expect(processesAfter).toBe(2);
  });

  test('memory bombs: bytearray(10**11) and a growing list raise MemoryError; the session lives', async () => {
    const before = process.memoryUsage().rss;
    const huge = await sandbox.executePython('x = bytearray(10**11)');
    const growing = await sandbox.executePython(
      "chunks = []\nwhile True:\n    chunks.append(b'x' * 50_000_000)",
    );
    const after = await sandbox.executePython('chunks = None\nprint(kept)');
    const hostGrowthMb = Math.round((process.memoryUsage().rss - before) / 1e6);
    recordCase({
      group: 'hostile',
      name: 'memory bombs: bytearray(10**11), then a list of 50 MB chunks grown without end',
      tried: 2,
      survived:
        (huge.error?.name === 'MemoryError' ? 1 : 0) +
        (growing.error?.name === 'MemoryError' ? 1 : 0),
      lost: after.stdout === '42\n' ? 0 : 1,
      outcome: `RLIMIT_AS (memoryLimitBytes 1 GiB here; 4 GiB by default) held: both raised MemoryError in the cell, session and variables kept; host RSS +${hostGrowthMb} MB`,
    });
    expect(huge.error?.name).toBe('MemoryError');
    expect(growing.error?.name).toBe('MemoryError');
    expect(after.stdout).toBe('42\n');
  });
});
