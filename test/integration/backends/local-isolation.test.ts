import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

/** Python that tries what would hold memory outside RLIMIT_AS; prints attempt → outcome (errno). */
const OUTSIDE_THE_HEAP = `import ctypes, errno, multiprocessing, os
def fill(path, total):
    chunk = b'x' * (1 << 20)
    with open(path, 'wb') as file:
        for _ in range(total >> 20):
            file.write(chunk)
            file.flush()
def attempt(name, action):
    try:
        action()
        print(name, 'ok')
    except OSError as error:
        print(name, errno.errorcode[error.errno])
libc = ctypes.CDLL(None, use_errno=True)
def shmget():
    if libc.shmget(0, 1 << 20, 0o1000 | 0o600) < 0:
        raise OSError(ctypes.get_errno(), 'shmget')
attempt('semaphore', lambda: multiprocessing.Lock())
attempt('tmp', lambda: fill('/tmp/fill', 32 << 20))
attempt('devShm', lambda: fill('/dev/shm/fill', 32 << 20))
attempt('dev', lambda: fill('/dev/fill', 1 << 20))
attempt('memfd', lambda: os.memfd_create('fill'))
attempt('sysvShm', shmget)
attempt('devNull', lambda: open('/dev/null', 'w').write('x'))`;

describe('localBackend memory outside the heap (bubblewrap)', () => {
  test('/tmp and /dev/shm hold at most tmpBytes, /dev is read-only, memfd_create and SysV shared memory are refused', async () => {
    const session = await localBackend({ tmpBytes: 16 * 1024 * 1024 }).createSession();
    try {
      const result = await runCell(session, OUTSIDE_THE_HEAP);
      expect(outcomes(result.stdout)).toEqual({
        semaphore: 'ok',
        tmp: 'ENOSPC',
        devShm: 'ENOSPC',
        dev: 'EROFS',
        memfd: 'EPERM',
        sysvShm: 'EPERM',
        devNull: 'ok',
      });
      const sizes = await runCell(
        session,
        "import os\nfor path in ('/tmp', '/dev/shm'):\n    stat = os.statvfs(path)\n    print(path, stat.f_blocks * stat.f_frsize)",
      );
      expect(sizes.stdout).toBe(`/tmp ${16 * 1024 * 1024}\n/dev/shm ${16 * 1024 * 1024}\n`);
    } finally {
      await session.close();
    }
  });

  test('a system call through the x32 ABI kills the process (the filter cannot be sidestepped on x86-64)', async () => {
    const session = await localBackend().createSession();
    try {
      // x32 getpid: killed by SIGSYS under the filter; elsewhere just an unknown system call.
      const result = await runCell(
        session,
        'import subprocess, sys\nprint(subprocess.run([sys.executable, "-c", "import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39)"]).returncode)',
      );
      expect(result.stdout).toBe(process.arch === 'x64' ? '-31\n' : '0\n');
    } finally {
      await session.close();
    }
  });

  test('rejects a tmpBytes below 16 MiB', () => {
    expect(() => localBackend({ tmpBytes: 1024 })).toThrow(/tmpBytes/);
  });
});

/** A bwrap in front of the real one; `script` runs first (shell, with "$@" the arguments). */
async function wrappedBwrap(folder: string, name: string, script: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, `#!/bin/sh\n${script}\nexec bwrap "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

// The server itself has threads (OpenBLAS), which may never unshare a user namespace: the
// attempts run in fresh processes.
const NESTED_USER_NAMESPACE = `import os, subprocess, sys
unshare = "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); print(libc.unshare(0x10000000), os.strerror(ctypes.get_errno()))"
print(os.getuid(), subprocess.run([sys.executable, '-c', unshare], capture_output=True, text=True).stdout.strip())
print(subprocess.run(['unshare', '-Urm', 'true'], capture_output=True).returncode)`;

describe('localBackend nested user namespaces', () => {
  let folder: string;
  beforeAll(async () => {
    // Searchable by the sandbox user too: the probes run the wrappers as uid 65534.
    folder = await mkdtemp(join(tmpdir(), 'sandplot-test-bwrap-'));
    await chmod(folder, 0o755);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function nestedUserNamespace(bwrapPath?: string): Promise<string> {
    const session = await localBackend(
      bwrapPath === undefined ? {} : { bwrapPath },
    ).createSession();
    try {
      return (await runCell(session, NESTED_USER_NAMESPACE)).stdout;
    } finally {
      await session.close();
    }
  }

  test('cannot be created: bubblewrap --disable-userns', async () => {
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
    // bubblewrap caps the sandbox's user namespaces at the one it is in: ENOSPC.
    expect(await nestedUserNamespace()).toBe(`${uid} -1 No space left on device\n1\n`);
  });

  test('cannot be created when root must run the sandbox as root (uid 65534 refused)', async () => {
    const bwrap = await wrappedBwrap(
      folder,
      'bwrap-root-only',
      '[ "$(id -u)" = 65534 ] && { echo "no user namespaces for 65534" >&2; exit 1; }',
    );
    const uid = process.getuid?.();
    expect(await nestedUserNamespace(bwrap)).toBe(`${uid} -1 No space left on device\n1\n`);
  });

  test('cannot be created with a bubblewrap older than 0.8.0 (no --disable-userns): the seccomp filter refuses them', async () => {
    const bwrap = await wrappedBwrap(
      folder,
      'bwrap-0.7',
      'for argument in "$@"; do [ "$argument" = --disable-userns ] && { echo "bwrap: Unknown option --disable-userns" >&2; exit 1; }; done',
    );
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
    expect(await nestedUserNamespace(bwrap)).toBe(`${uid} -1 Operation not permitted\n1\n`);
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
