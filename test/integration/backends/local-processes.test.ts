import { describe, expect, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { runCell } from '../../support/local-run.js';
import { forkUntilRefused } from '../../support/python-attempts.js';

describe('localBackend maxProcesses', () => {
  test('runs as an unprivileged user when Node is root, and forks stop at maxProcesses', async () => {
    const session = await localBackend({ maxProcesses: 32 }).createSession();
    try {
      const result = await runCell(
        session,
        `import os, resource
print(os.getuid(), resource.getrlimit(resource.RLIMIT_NPROC))
${forkUntilRefused(100, 'len(children) < 32, failure')}`,
      );
      const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
      expect(result.stdout).toBe(`${uid} (32, 32)\nTrue BlockingIOError\n`);
    } finally {
      await session.close();
    }
  });

  test('a child the code forks and leaves running neither answers nor ends the run', async () => {
    const session = await localBackend().createSession();
    try {
      // Nothing printed after the fork: text the child writes itself may land in a later call, as
      // any background process's output would (see docs/local-backend.md).
      const first = await runCell(session, 'import os\nkept = 1\nos.fork()');
      expect(first.exitCode).toBe(0);
      const second = await runCell(session, 'print(kept)');
      expect(second.exitCode).toBe(0);
      expect(second.stdout).toBe('1\n');
      expect(session.isAlive).toBe(true);
    } finally {
      await session.close();
    }
  });

  test('rejects a maxProcesses below 8', () => {
    expect(() => localBackend({ maxProcesses: 2 })).toThrow(/maxProcesses/);
  });
});
