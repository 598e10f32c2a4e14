import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import type { BackendSession } from '../../../src/backends/types.js';
import { runCell } from '../../support/local-run.js';
import { attempts, outcomes } from '../../support/python-attempts.js';

describe('localBackend sandbox (isolation: auto, which is bubblewrap here)', () => {
  let session: BackendSession;
  beforeAll(async () => {
    process.env.SANDPLOT_TEST_SECRET = 'must-not-leak';
    session = await localBackend().createSession();
  });
  afterAll(async () => {
    delete process.env.SANDPLOT_TEST_SECRET;
    await session?.close();
  });

  test('has no network', async () => {
    const result = await runCell(
      session,
      attempts({
        connect: 'import socket; socket.create_connection(("1.1.1.1", 80), timeout=3)',
        resolve: 'import socket; socket.gethostbyname("example.com")',
      }),
    );
    expect(outcomes(result.stdout)).toEqual({ connect: 'OSError', resolve: 'gaierror' });
  });

  test('cannot read the host: /root, /etc/shadow, the project folder, host processes', async () => {
    const result = await runCell(
      session,
      attempts({
        root: 'import os; os.listdir("/root")',
        shadow: 'open("/etc/shadow").read()',
        passwd: 'open("/etc/passwd").read()',
        project: 'open("/work/main/package.json").read()',
        hostProc: 'assert len([p for p in __import__("os").listdir("/proc") if p.isdigit()]) < 10',
      }),
    );
    expect(outcomes(result.stdout)).toEqual({
      root: 'FileNotFoundError',
      shadow: 'FileNotFoundError',
      passwd: 'FileNotFoundError',
      project: 'FileNotFoundError',
      hostProc: 'ok',
    });
    // The host file really exists: the sandbox, not a typo, hides it.
    expect(readFileSync('/work/main/package.json', 'utf8')).toContain('sandplot');
  });

  test('cannot write outside the work dir and /tmp, and holds no capabilities', async () => {
    const result = await runCell(
      session,
      attempts({
        usr: 'open("/usr/x", "w")',
        etc: 'open("/etc/x", "w")',
        rootDir: 'open("/x", "w")',
        tmp: 'open("/tmp/x", "w").write("scratch")',
        work: 'open("x", "w").write("mine")',
        caps: 'assert open("/proc/self/status").read().split("CapEff:")[1].split()[0].strip("0") == ""',
      }),
    );
    expect(outcomes(result.stdout)).toEqual({
      usr: 'OSError',
      etc: 'OSError',
      rootDir: 'OSError',
      tmp: 'ok',
      work: 'ok',
      caps: 'ok',
    });
  });

  test('does not see the host environment', async () => {
    const result = await runCell(
      session,
      'import os\nprint(os.environ.get("SANDPLOT_TEST_SECRET"), "HOSTNAME" in os.environ, os.getcwd())',
    );
    expect(result.stdout).toBe('None False /home/sandbox/work\n');
  });

  test('sessions do not share /tmp or the work dir', async () => {
    await runCell(
      session,
      'open("/tmp/shared-check", "w").write("a")\nopen("work-check", "w").write("a")',
    );
    const other = await localBackend().createSession();
    try {
      const result = await runCell(
        other,
        'import os\nprint(os.path.exists("/tmp/shared-check"), os.path.exists("work-check"))',
      );
      expect(result.stdout).toBe('False False\n');
    } finally {
      await other.close();
    }
  });
});

function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // The process ended meanwhile.
    }
  }
  return lines;
}

describe.each(['bwrap', 'none'] as const)('close() (isolation: %s)', (isolation) => {
  test('kills the process and what it started, removes the work dir, and is idempotent', async () => {
    const session = await localBackend({ isolation }).createSession();
    const marker = `marker-${Math.random().toString(16).slice(2)}`;
    const seconds = `${900 + Math.floor(Math.random() * 99)}.${Math.floor(Math.random() * 999)}`;
    const result = await runCell(
      session,
      `import subprocess\nopen(${JSON.stringify(marker)}, "w").write("x")\nsubprocess.Popen(["sleep", "${seconds}"])\nimport time\ntime.sleep(0.2)`,
    );
    expect(result.exitCode).toBe(0);
    const workDirs = readdirSync(tmpdir())
      .filter((name) => name.startsWith('sandplot-local-'))
      .map((name) => join(tmpdir(), name, 'work'))
      .filter((dir) => {
        try {
          return readdirSync(dir).includes(marker);
        } catch {
          return false;
        }
      });
    expect(workDirs).toHaveLength(1);
    expect(commandLines()).toContain(`sleep ${seconds}`);

    await Promise.all([session.close(), session.close()]);
    await session.close();
    expect(session.isAlive).toBe(false);
    expect(() => readdirSync(workDirs[0] as string)).toThrow(/ENOENT/);
    expect(commandLines()).not.toContain(`sleep ${seconds}`);
    await expect(
      session.runCode('print(1)', { timeoutMs: 1000, onStdout() {}, onStderr() {} }),
    ).rejects.toMatchObject({
      code: 'SESSION_CLOSED',
    });
  });
});
