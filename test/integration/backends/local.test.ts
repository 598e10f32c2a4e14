import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import type { BackendSession } from '../../../src/backends/types.js';
import { SandplotError } from '../../../src/errors/index.js';
import { runCell } from '../../support/local-run.js';

const PNG_LIKE = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 128, 10, 13, 0xc3, 0x28,
]);

async function expectSandplotError(
  promise: Promise<unknown>,
  code: string,
): Promise<SandplotError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(SandplotError.isInstance(error), `expected a SandplotError, got ${String(error)}`).toBe(
    true,
  );
  expect((error as SandplotError).code).toBe(code);
  return error as SandplotError;
}

describe.each(['bwrap', 'none'] as const)('localBackend (isolation: %s)', (isolation) => {
  const backend = localBackend({ isolation, interruptGraceMs: 1000 });
  let session: BackendSession;

  beforeAll(async () => {
    session = await backend.createSession();
  });
  afterAll(async () => {
    await session?.close();
  });

  test('gives sessions a local- id and keeps variables, imports and files between calls', async () => {
    expect(session.id).toMatch(/^local-[0-9a-f]{16}$/);
    expect(session.isAlive).toBe(true);
    const first = await runCell(
      session,
      'import math\nanswer = 6 * 7\nopen("kept.txt", "w").write("kept")',
    );
    expect(first).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const second = await runCell(session, 'print(answer, math.pi > 3, open("kept.txt").read())');
    expect(second).toMatchObject({ exitCode: 0, stdout: '42 True kept\n', stderr: '' });
  });

  test('reports exit code 1 and the traceback when the code raises, and the session goes on', async () => {
    const failed = await runCell(session, 'print("before")\nraise ValueError("bad value")');
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toBe('before\n');
    expect(failed.stderr).toContain('Traceback (most recent call last):');
    expect(failed.stderr).toContain('File "<string>", line 2, in <module>');
    expect(failed.stderr).toContain('ValueError: bad value');
    expect(failed.stderr).not.toContain('sandplot');

    const syntax = await runCell(session, 'def broken(:\n  pass');
    expect(syntax.exitCode).toBe(1);
    expect(syntax.stderr).toContain('SyntaxError');

    const exited = await runCell(session, 'import sys\nsys.exit(2)');
    expect(exited.exitCode).toBe(2);
    expect(session.isAlive).toBe(true);
    expect((await runCell(session, 'print("still here")')).stdout).toBe('still here\n');
  });

  test('streams stdout and stderr in order, including the output of subprocesses', async () => {
    const result = await runCell(
      session,
      [
        'import os, subprocess, sys, time',
        'print("one")',
        'print("two", file=sys.stderr)',
        'os.system("echo from-shell; echo shell-error >&2")',
        'subprocess.run(["printf", "from-subprocess\\n"])',
        'sys.stdout.write("three")',
        'sys.stdout.flush()',
        'time.sleep(0.4)',
        'print(" four")',
      ].join('\n'),
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('one\nfrom-shell\nfrom-subprocess\nthree four\n');
    expect(result.stderr).toBe('two\nshell-error\n');
    // Streamed: "three" was delivered while the cell was still sleeping.
    const three = result.events.find((event) => event.text.includes('three'));
    expect(three).toBeDefined();
    expect(result.durationMs - (three?.atMs ?? 0)).toBeGreaterThan(300);
  });

  test('output that imitates control messages or end tokens is plain output', async () => {
    const fakeToken = `\\x00sandplot-end-${'ab'.repeat(16)}\\x00`;
    const code = [
      'import os, sys',
      'print(\'{"op":"ready","id":1,"ok":true,"exitCode":0}\')',
      `sys.stdout.write("${fakeToken}")`,
      `sys.stderr.write("${fakeToken}")`,
      'os.write(1, b\'{"id": 99, "ok": true}\\n\')',
      'print("end")',
    ].join('\n');
    const result = await runCell(session, code);
    const token = `\0sandplot-end-${'ab'.repeat(16)}\0`;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      `{"op":"ready","id":1,"ok":true,"exitCode":0}\n${token}{"id": 99, "ok": true}\nend\n`,
    );
    expect(result.stderr).toBe(token);
    expect((await runCell(session, 'print(answer)')).stdout).toBe('42\n');
  });

  test('runs calls one after another when they are made at the same time', async () => {
    const [first, second] = await Promise.all([
      runCell(session, 'import time\ntime.sleep(0.2)\nqueued = "first"'),
      runCell(session, 'print(queued)'),
    ]);
    expect(first.exitCode).toBe(0);
    expect(second.stdout).toBe('first\n');
  });

  test('output written between calls by a background process arrives with the next call', async () => {
    await runCell(
      session,
      'import subprocess\nsubprocess.Popen("sleep 0.2; echo late", shell=True)',
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await runCell(session, 'print("next")')).stdout).toBe('late\nnext\n');
  });

  test('a run whose code closes stdout and stderr still ends', async () => {
    const own = await backend.createSession();
    try {
      const result = await runCell(
        own,
        'import os\nprint("bye", flush=True)\nos.close(1)\nos.close(2)',
      );
      expect(result).toMatchObject({ exitCode: 0, stdout: 'bye\n' });
      expect((await runCell(own, 'x = 1')).exitCode).toBe(0);
    } finally {
      await own.close();
    }
  });

  test('a callback that throws fails that run only', async () => {
    const failure = new Error('callback failed');
    await expect(
      session.runCode('print("boom")', {
        timeoutMs: 5000,
        onStdout: () => {
          throw failure;
        },
        onStderr: () => undefined,
      }),
    ).rejects.toBe(failure);
    expect((await runCell(session, 'print(answer)')).stdout).toBe('42\n');
  });

  test('decodes UTF-8 without splitting characters across chunks', async () => {
    const result = await runCell(
      session,
      'import sys\nfor i in range(2000):\n    sys.stdout.write("é€🎉" * 50)\n    sys.stdout.flush()',
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('é€🎉'.repeat(100_000));
    expect(result.stdout).not.toContain('\uFFFD');
  });

  test('delivers 50 MB of stdout completely', async () => {
    let bytes = 0;
    let xs = 0;
    const result = await session.runCode(
      'import sys\nfor i in range(50):\n    sys.stdout.write("x" * 999_999 + "\\n")',
      {
        timeoutMs: 60_000,
        onStdout: (text) => {
          bytes += Buffer.byteLength(text);
          for (const char of text) if (char === 'x') xs++;
        },
        onStderr: () => undefined,
      },
    );
    expect(result).toEqual({ exitCode: 0 });
    expect(bytes).toBe(50_000_000);
    expect(xs).toBe(50 * 999_999);
  });

  test('interrupts an endless loop at timeoutMs and keeps the variables', async () => {
    await runCell(session, 'before_loop = "kept"');
    const started = performance.now();
    const result = await runCell(session, 'while True:\n    pass', { timeoutMs: 500 });
    const elapsed = performance.now() - started;
    expect(result.interrupted).toBe('timeout');
    expect(result.exitCode).toBeNull();
    expect(result.crashed).toBeUndefined();
    expect(result.stderr).toContain('KeyboardInterrupt');
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(1500);
    expect(session.isAlive).toBe(true);
    expect((await runCell(session, 'print(before_loop)')).stdout).toBe('kept\n');
  });

  test('timeoutMs 0 interrupts, even before the code started, and keeps the session', async () => {
    const result = await runCell(session, 'import time\ntime.sleep(30)', { timeoutMs: 0 });
    expect(result).toMatchObject({ interrupted: 'timeout', exitCode: null });
    expect(result.crashed).toBeUndefined();
    // A SIGINT that lands before the cell starts is repeated; either way it is far from 30 s.
    expect(result.durationMs).toBeLessThan(1500);
    expect(session.isAlive).toBe(true);
  });

  test('interrupts when the abortSignal fires, and does not run at all when it already fired', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed stop')), 300);
    const result = await runCell(session, 'import time\nwhile True:\n    time.sleep(0.01)', {
      abortSignal: controller.signal,
    });
    expect(result).toMatchObject({ interrupted: 'abort', exitCode: null });
    expect(session.isAlive).toBe(true);

    const skipped = await runCell(session, 'ran_anyway = True', { abortSignal: controller.signal });
    expect(skipped).toMatchObject({ interrupted: 'abort', exitCode: null });
    expect((await runCell(session, 'print("ran_anyway" in globals())')).stdout).toBe('False\n');
  });

  test('survives a SIGINT that arrives between cells', async () => {
    const armed = await runCell(
      session,
      'import os, signal, threading\nthreading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()',
    );
    expect(armed.exitCode).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(session.isAlive).toBe(true);
    expect((await runCell(session, 'print(answer)')).stdout).toBe('42\n');
  });

  test('writes text and binary files and reads back the exact bytes', async () => {
    await session.writeFiles([
      { path: 'data/hello.txt', content: 'héllo\nwörld' },
      { path: 'plot.png', content: PNG_LIKE },
    ]);
    expect(Array.from(await session.readFile('plot.png'))).toEqual(Array.from(PNG_LIKE));
    expect(Buffer.from(await session.readFile('data/hello.txt')).toString('utf8')).toBe(
      'héllo\nwörld',
    );
    const seen = await runCell(
      session,
      'print(open("data/hello.txt", encoding="utf-8").read()); print(list(open("plot.png","rb").read()))\nopen("made.bin","wb").write(bytes(range(256)))',
    );
    expect(seen.stdout).toBe(`héllo\nwörld\n[${Array.from(PNG_LIKE).join(', ')}]\n`);
    const made = await session.readFile('made.bin');
    expect(made).toBeInstanceOf(Uint8Array);
    expect(Array.from(made)).toEqual(Array.from({ length: 256 }, (_, index) => index));
  });

  test('refuses absolute and ".." paths and symlinks that lead out of the work dir', async () => {
    await expectSandplotError(session.readFile('missing.txt'), 'FILE_NOT_FOUND');
    await expectSandplotError(session.readFile('/etc/hostname'), 'INVALID_INPUT');
    await expectSandplotError(session.readFile('../../etc/hostname'), 'INVALID_INPUT');
    await expectSandplotError(session.readFile('data/../../x'), 'INVALID_INPUT');
    await expectSandplotError(
      session.writeFiles([{ path: '../escape.txt', content: 'x' }]),
      'INVALID_INPUT',
    );
    await expectSandplotError(
      session.writeFiles([{ path: '/tmp/escape.txt', content: 'x' }]),
      'INVALID_INPUT',
    );

    const planted = await runCell(
      session,
      'import os\nos.symlink("/etc/hostname", "hostname-link")\nos.symlink("/etc/shadow", "shadow-link")\nos.symlink("/", "root-link")',
    );
    expect(planted.exitCode).toBe(0);
    await expectSandplotError(session.readFile('hostname-link'), 'FILE_NOT_FOUND');
    await expectSandplotError(session.readFile('shadow-link'), 'FILE_NOT_FOUND');
    await expectSandplotError(session.readFile('root-link/etc/hostname'), 'FILE_NOT_FOUND');
    await expectSandplotError(
      session.writeFiles([{ path: 'root-link/tmp/x', content: 'x' }]),
      'FILE_NOT_FOUND',
    );
    expect(session.isAlive).toBe(true);
  });

  test('imports numpy, pandas and matplotlib and saves a plot under the default limits', async () => {
    const result = await runCell(
      session,
      [
        'import numpy as np, pandas as pd, matplotlib.pyplot as plt',
        'frame = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})',
        'frame.plot(x="x", y="y")',
        'plt.savefig("plot-out.png")',
        'print(frame["y"].sum())',
      ].join('\n'),
    );
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ exitCode: 0, stdout: '285\n' });
    const png = await session.readFile('plot-out.png');
    expect(Array.from(png.subarray(0, 8))).toEqual([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ]);
  });

  test('starts with a cleared environment, the work dir as cwd and HOME, and matplotlib on agg', async () => {
    const result = await runCell(
      session,
      'import os, matplotlib\nprint(os.getcwd() == os.environ["HOME"], os.environ["PATH"], matplotlib.get_backend())\nprint(sorted(os.environ))',
    );
    expect(result.stdout.split('\n')[0]).toBe('True /usr/bin:/bin agg');
    expect(result.stdout).not.toContain('SANDPLOT');
    expect(result.stdout).not.toContain('VITEST');
  });

  test('a session whose process exits with os._exit(3) reports the crash and delivers earlier output', async () => {
    const own = await backend.createSession();
    const result = await runCell(own, 'print("last words", flush=True)\nimport os\nos._exit(3)');
    expect(result.stdout).toBe('last words\n');
    expect(result.exitCode).toBe(3);
    expect(result.crashed?.reason).toBe('The Python process exited with code 3');
    expect(own.isAlive).toBe(false);
    await expectSandplotError(runCell(own, 'print(1)'), 'SESSION_CLOSED');
    await own.close();
  });

  test('a segfault is reported as a crash with the signal', async () => {
    const own = await backend.createSession();
    const result = await runCell(own, 'import ctypes\nctypes.string_at(0)');
    expect(result.exitCode).toBeNull();
    expect(result.crashed?.reason).toContain('SIGSEGV');
    expect(own.isAlive).toBe(false);
    await own.close();
  });

  test('code that swallows KeyboardInterrupt is killed after the grace period', async () => {
    const own = await backend.createSession();
    const started = performance.now();
    const result = await runCell(
      own,
      'import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        print("ignored", flush=True)',
      { timeoutMs: 300 },
    );
    const elapsed = performance.now() - started;
    expect(result.interrupted).toBe('timeout');
    expect(result.exitCode).toBeNull();
    expect(result.crashed?.reason).toContain('did not stop within 1000 ms');
    expect(result.stdout).toBe('ignored\nignored\n');
    expect(elapsed).toBeGreaterThan(1250);
    expect(elapsed).toBeLessThan(3000);
    expect(own.isAlive).toBe(false);
    await own.close();
  });

  test('memoryLimitBytes makes a large allocation raise MemoryError in the cell', async () => {
    const limited = await localBackend({
      isolation,
      memoryLimitBytes: 512 * 1024 * 1024,
    }).createSession();
    try {
      const result = await runCell(limited, 'block = bytearray(1024 ** 3)');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('MemoryError');
      const plot = await runCell(
        limited,
        'import numpy, pandas, matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig("small.png")\nprint("plotted")',
      );
      expect(plot).toMatchObject({ exitCode: 0, stdout: 'plotted\n' });
    } finally {
      await limited.close();
    }
  });

  test('maxFileBytes stops a file from growing past the limit', async () => {
    const limited = await localBackend({ isolation, maxFileBytes: 1024 * 1024 }).createSession();
    try {
      const result = await runCell(
        limited,
        'open("big.bin", "wb").write(b"x" * (2 * 1024 * 1024))',
      );
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('File too large');
      expect(limited.isAlive).toBe(true);
    } finally {
      await limited.close();
    }
  });

  test('cpuTimeLimitSeconds kills the session when its CPU time is used up', async () => {
    const limited = await localBackend({ isolation, cpuTimeLimitSeconds: 3 }).createSession();
    try {
      const result = await runCell(limited, 'while True:\n    pass', { timeoutMs: 30_000 });
      expect(result.exitCode).toBeNull();
      expect(result.crashed?.reason).toContain('SIGXCPU');
      expect(result.crashed?.reason).toContain('cpuTimeLimitSeconds');
      expect(limited.isAlive).toBe(false);
    } finally {
      await limited.close();
    }
  });
});
