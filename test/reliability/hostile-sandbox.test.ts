import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { SandplotError } from '../../src/errors/index.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { replaceServerHandler } from '../support/server-attack.js';
import { recordCase } from './support/case-ledger.js';

// Hostile code against the host through the local backend: it replaces the session server's
// handlers to hang the host, holds memory where RLIMIT_AS does not look, and makes a user
// namespace of its own to regain capabilities.

const MIB = 1024 * 1024;

/** The host's shared memory (tmpfs, memfd, SysV): /proc/meminfo's Shmem, in bytes. */
function hostSharedMemory(): number {
  const match = /^Shmem:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(match?.[1]) * 1024;
}

const PLOT = 'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()';

describe('hostile: the session server', () => {
  test("a replaced read handler cannot hang the host: figure files (transport 'files') and readFile", async () => {
    const fileTimeoutMs = 2000;
    const sandbox = new CodeSandbox({
      backend: localBackend({ fileTimeoutMs }),
      capture: { transport: 'files' },
      // The readFile below is the test's own: the file the code writes is not collected first.
      outputFiles: { enabled: false },
      timeoutMs: 30_000,
    });
    try {
      await sandbox.executePython(replaceServerHandler('read', 'hang'));
      let started = performance.now();
      const figureCall = await sandbox.executePython(PLOT);
      const figureCallMs = Math.round(performance.now() - started);
      const afterFigures = await sandbox.executePython('print("new session")');

      await sandbox.executePython(
        `${replaceServerHandler('read', 'hang')}\nopen('data.txt', 'w').write('x')`,
      );
      started = performance.now();
      const readError = await sandbox.readFile('data.txt').then(
        () => undefined,
        (error: unknown) => error,
      );
      const readMs = Math.round(performance.now() - started);
      const afterRead = await sandbox.executePython('print("new session")');
      const retryable = SandplotError.isInstance(readError) && readError.isRetryable;

      const survived =
        (figureCall.problems.length === 1 && afterFigures.sessionRestarted === true ? 1 : 0) +
        (retryable && afterRead.sessionRestarted === true ? 1 : 0);
      recordCase({
        group: 'hostile',
        name: "read handler replaced by `sleep` (found through the stack): a figure with transport 'files', then readFile (fileTimeoutMs 2000)",
        tried: 2,
        survived,
        lost: 2 - survived,
        outcome: `session killed at the deadline: the figure call returned in ${figureCallMs} ms with the figure as a problem, readFile rejected in ${readMs} ms (retryable BackendError); each next call ran in a new session (sessionRestarted)`,
      });
      expect(figureCall.figures).toEqual([]);
      expect(figureCall.problems[0]?.reason).toContain('did not answer a read request');
      expect(figureCallMs).toBeLessThan(fileTimeoutMs + 10_000);
      expect(afterFigures).toMatchObject({ stdout: 'new session\n', sessionRestarted: true });
      expect(readError).toMatchObject({ name: 'BackendError', isRetryable: true });
      expect(readMs).toBeLessThan(fileTimeoutMs + 10_000);
      expect(afterRead).toMatchObject({ stdout: 'new session\n', sessionRestarted: true });
    } finally {
      await sandbox.close();
    }
  });

  test('a replaced run handler cannot hang the host: no end tokens, or a sleep that ignores SIGINT', async () => {
    const timeoutMs = 3000;
    const interruptGraceMs = 1000;
    const sandbox = new CodeSandbox({
      backend: localBackend({ interruptGraceMs }),
      timeoutMs,
    });
    try {
      await sandbox.executePython(replaceServerHandler('run', 'silent-run'));
      let started = performance.now();
      const silent = await sandbox.executePython('print("runs")');
      const silentMs = Math.round(performance.now() - started);
      const afterSilent = await sandbox.executePython('print("new session")');

      await sandbox.executePython(replaceServerHandler('run', 'hang'));
      started = performance.now();
      const hung = await sandbox.executePython('print("runs")');
      const hungMs = Math.round(performance.now() - started);
      const afterHung = await sandbox.executePython('print("new session")');

      const survived =
        (silent.error?.name === 'SandboxCrashed' && afterSilent.sessionRestarted === true ? 1 : 0) +
        (hung.error?.name === 'TimeoutError' && afterHung.sessionRestarted === true ? 1 : 0);
      recordCase({
        group: 'hostile',
        name: 'run handler replaced: answers without its end tokens; sleeps ignoring SIGINT (timeoutMs 3000, interruptGraceMs 1000)',
        tried: 2,
        survived,
        lost: 2 - survived,
        outcome: `no end tokens: SandboxCrashed after ${silentMs} ms (2000 ms token deadline), output kept; sleeping handler: TimeoutError after ${hungMs} ms (timeoutMs + interruptGraceMs), sandbox killed; each next call ran in a new session`,
      });
      expect(silent).toMatchObject({ isError: true, stdout: 'runs\n' });
      expect(silent.error?.name).toBe('SandboxCrashed');
      expect(silentMs).toBeLessThan(2000 + 10_000);
      expect(afterSilent).toMatchObject({ stdout: 'new session\n', sessionRestarted: true });
      expect(hung.error?.name).toBe('TimeoutError');
      expect(hung.error?.value).toContain('restarted');
      expect(hungMs).toBeLessThan(timeoutMs + interruptGraceMs + 10_000);
      expect(afterHung).toMatchObject({ stdout: 'new session\n', sessionRestarted: true });
    } finally {
      await sandbox.close();
    }
  });
});

/**
 * Python that tries to hold `attemptMib` MiB through each way around RLIMIT_AS (in 128 MiB
 * files or segments, each under maxFileBytes) and keeps what it got; prints, as JSON, each
 * way → [MiB held, how it ended].
 */
function holdOutsideTheHeap(attemptMib: number): string {
  return `import ctypes, json, os
CHUNK = b'\\xa5' * (16 << 20)
held = []
def fill(open_file):
    written = 0
    try:
        while written < ${attemptMib} << 20:
            fd = open_file(len(held))
            held.append(fd)
            for _ in range(8):
                written += os.write(fd, CHUNK)
    except OSError as error:
        return [written >> 20, type(error).__name__]
    return [written >> 20, 'ok']
results = {}
results['tmp'] = fill(lambda i: os.open('/tmp/f%d' % i, os.O_CREAT | os.O_WRONLY))
results['devShm'] = fill(lambda i: os.open('/dev/shm/f%d' % i, os.O_CREAT | os.O_WRONLY))
results['dev'] = fill(lambda i: os.open('/dev/f%d' % i, os.O_CREAT | os.O_WRONLY))
results['memfd'] = fill(lambda i: os.memfd_create('m%d' % i))
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
shm = 0
try:
    while shm < ${attemptMib}:
        ident = libc.shmget(0, 128 << 20, 0o1000 | 0o600)
        if ident < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        address = libc.shmat(ident, None, 0)
        ctypes.memset(address, 0xa5, 128 << 20)
        libc.shmdt(ctypes.c_void_p(address))
        shm += 128
    results['sysvShm'] = [shm, 'ok']
except OSError as error:
    results['sysvShm'] = [shm, type(error).__name__]
print(json.dumps(results))`;
}

describe('hostile: memory outside memoryLimitBytes', () => {
  test('tmpfs, /dev, memfd_create and SysV shared memory hold at most 2 × tmpBytes of host memory', async () => {
    const tmpBytes = 64 * MIB;
    const attemptMib = 768;
    const sandbox = new CodeSandbox({
      backend: localBackend({ memoryLimitBytes: 512 * MIB, tmpBytes }),
      timeoutMs: 120_000,
    });
    try {
      await sandbox.executePython('print(1)');
      const before = hostSharedMemory();
      const result = await sandbox.executePython(holdOutsideTheHeap(attemptMib));
      const growthMib = Math.round((hostSharedMemory() - before) / MIB);
      await sandbox.close();
      const afterCloseMib = Math.round((hostSharedMemory() - before) / MIB);
      const ways = JSON.parse(result.stdout) as Record<string, [number, string]>;
      const bounded = Object.values(ways).filter(([mib]) => mib <= tmpBytes / MIB).length;
      recordCase({
        group: 'hostile',
        name: `${attemptMib} MiB each into /tmp, /dev/shm, /dev, memfd_create and SysV shm (memoryLimitBytes 512 MiB, tmpBytes 64 MiB)`,
        tried: 5,
        survived: bounded,
        lost: 5 - bounded,
        outcome: `host Shmem grew by ${growthMib} MiB (2 × tmpBytes = 128 MiB; ${afterCloseMib} MiB right after close()); held: ${Object.entries(
          ways,
        )
          .map(([way, [mib, end]]) => `${way} ${mib} MiB then ${end}`)
          .join(', ')}`,
      });
      // /tmp already holds matplotlib's cache: a little less than tmpBytes fits.
      expect(ways.tmp?.[0]).toBeGreaterThan(60);
      expect(ways.tmp?.[0]).toBeLessThanOrEqual(tmpBytes / MIB);
      expect(ways).toEqual({
        tmp: [ways.tmp?.[0], 'OSError'],
        devShm: [tmpBytes / MIB, 'OSError'],
        dev: [0, 'OSError'],
        memfd: [0, 'PermissionError'],
        sysvShm: [0, 'PermissionError'],
      });
      // Other processes on the host share the counter: a margin, far below the 5 × 768 MiB tried.
      expect(growthMib).toBeLessThan((2 * tmpBytes) / MIB + 256);
    } finally {
      await sandbox.close();
    }
  });
});

describe('hostile: capabilities', () => {
  test('no user namespace of its own: `unshare -Urm` and a mount fail', async () => {
    const sandbox = new CodeSandbox({ backend: localBackend(), timeoutMs: 30_000 });
    try {
      const result = await sandbox.executePython(
        "import subprocess\nrun = subprocess.run(['unshare', '-Urm', 'sh', '-c', 'grep CapEff /proc/self/status; mount -t tmpfs x /tmp && echo mounted'], capture_output=True, text=True)\nprint(run.returncode, run.stdout.strip() or '-', run.stderr.strip())",
      );
      const [code, capabilities, ...message] = result.stdout.trim().split(' ');
      recordCase({
        group: 'hostile',
        name: '`unshare -Urm` (a user namespace with every capability), then mount a tmpfs',
        tried: 1,
        survived: code !== '0' && !result.stdout.includes('mounted') ? 1 : 0,
        lost: result.stdout.includes('mounted') ? 1 : 0,
        outcome: `bwrap --disable-userns (seccomp filter on older bubblewrap): exit ${code}, "${message.join(' ')}"; capabilities ${capabilities === '-' ? 'never gained' : capabilities}`,
      });
      expect(code).toBe('1');
      expect(capabilities).toBe('-');
      expect(result.stdout).toContain('No space left on device');
    } finally {
      await sandbox.close();
    }
  });
});
