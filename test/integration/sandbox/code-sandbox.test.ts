import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import type { BackendSession, SandboxBackend } from '../../../src/backends/types.js';
import { SandplotError } from '../../../src/errors/index.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { base64Sink } from '../../../src/sinks/base64.js';
import { fallbackSink } from '../../../src/sinks/fallback.js';
import { localDirSink } from '../../../src/sinks/local-dir.js';
import { pngSize } from '../../support/png.js';

/** The real local backend, counting the sessions it starts and keeping them for inspection. */
function countingBackend(): SandboxBackend & { sessions: BackendSession[] } {
  const backend = localBackend();
  const sessions: BackendSession[] = [];
  return {
    name: backend.name,
    sessions,
    async createSession(options) {
      const session = await backend.createSession(options);
      sessions.push(session);
      return session;
    },
  };
}

const open: CodeSandbox[] = [];
function sandbox(options: Partial<ConstructorParameters<typeof CodeSandbox>[0]> = {}) {
  // The exact canvas, so figure sizes are figsize × dpi.
  const created = new CodeSandbox({
    backend: localBackend(),
    capture: { tightBoundingBox: false },
    ...options,
  });
  open.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((each) => each.close()));
});

const plotTwo = `import matplotlib.pyplot as plt
plt.figure(figsize=(4, 3)); plt.plot([1, 2, 3]); plt.title("first")
plt.figure(figsize=(5, 2)); plt.bar(["a", "b"], [1, 2]); plt.suptitle("second")
`;

describe('CodeSandbox input checks', () => {
  it.each([
    ['a number', 42],
    ['null', null],
    ['an empty string', ''],
    ['only whitespace', '  \n\t'],
  ])('rejects %s with INVALID_INPUT and starts no session', async (_label, code) => {
    const backend = countingBackend();
    const box = sandbox({ backend });
    await expect(box.executePython(code as string)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(backend.sessions).toHaveLength(0);
  });

  it('rejects code over maxCodeBytes, naming the option, and starts no session', async () => {
    const backend = countingBackend();
    const box = sandbox({ backend, maxCodeBytes: 100 });
    const failure = box.executePython(`x = "${'é'.repeat(60)}"`);
    await expect(failure).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(failure).rejects.toThrow(/maxCodeBytes/);
    expect(backend.sessions).toHaveLength(0);
  });

  it('accepts code of exactly 1 MiB by default and refuses one byte more', async () => {
    const box = sandbox();
    const code = `print(1)\n#${'#'.repeat(1024 * 1024 - 10)}`;
    expect(Buffer.byteLength(code)).toBe(1024 * 1024);
    expect((await box.executePython(code)).stdout).toBe('1\n');
    await expect(box.executePython(`${code}#`)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('rejects invalid options with a ConfigError', () => {
    expect(() => new CodeSandbox({ backend: localBackend(), timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(() => new CodeSandbox({} as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('CodeSandbox sessions', () => {
  it('starts exactly one session under concurrent first calls and runs calls in order', async () => {
    const backend = countingBackend();
    const box = sandbox({ backend });
    expect(box.sessionId).toBeUndefined();
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        box.executePython(`order = globals().get("order", []) + [${n}]\nprint(order)`),
      ),
    );
    expect(backend.sessions).toHaveLength(1);
    expect(results.map((result) => result.stdout.trim())).toEqual([
      '[0]',
      '[0, 1]',
      '[0, 1, 2]',
      '[0, 1, 2, 3]',
      '[0, 1, 2, 3, 4]',
    ]);
    expect(box.sessionId).toBe(backend.sessions[0]?.id);
  });

  it('keeps variables between calls and drops them with clearContext', async () => {
    const box = sandbox();
    await box.executePython('answer = 41');
    expect((await box.executePython('print(answer + 1)')).stdout).toBe('42\n');
    const cleared = await box.executePython('print("answer" in globals())', { clearContext: true });
    expect(cleared.stdout).toBe('False\n');
    expect(cleared.sessionRestarted).toBeUndefined();
  });

  it('close() stops the session, is idempotent, and later calls fail with SESSION_CLOSED', async () => {
    const backend = countingBackend();
    const box = new CodeSandbox({ backend });
    await box.executePython('x = 1');
    const session = backend.sessions[0];
    await Promise.all([box.close(), box.close()]);
    await box.close();
    expect(session?.isAlive).toBe(false);
    expect(box.sessionId).toBeUndefined();
    await expect(box.executePython('print(1)')).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('await using closes the session at the end of the block', async () => {
    const backend = countingBackend();
    {
      await using box = new CodeSandbox({ backend });
      await box.executePython('print(1)');
      expect(backend.sessions[0]?.isAlive).toBe(true);
    }
    expect(backend.sessions[0]?.isAlive).toBe(false);
  });

  it('writes and reads files in the working directory, byte for byte', async () => {
    const box = sandbox();
    const bytes = Uint8Array.from([0, 255, 137, 80, 78, 71, 10, 13]);
    await box.writeFiles([
      { path: 'data/sales.csv', content: 'a,b\n1,2\n' },
      { path: 'blob.bin', content: bytes },
    ]);
    const result = await box.executePython(
      'import pandas as pd\nprint(pd.read_csv("data/sales.csv").b.sum())\nopen("out.txt", "w").write("hé")',
    );
    expect(result.stdout).toBe('2\n');
    expect(Buffer.from(await box.readFile('blob.bin'))).toEqual(Buffer.from(bytes));
    expect(Buffer.from(await box.readFile('out.txt')).toString('utf8')).toBe('hé');
  });
});

describe('CodeSandbox results', () => {
  it('captures figures in order, stores them, and keeps markers out of stdout', async () => {
    const box = sandbox();
    const streamed: string[] = [];
    const result = await box.executePython(`print("before")\n${plotTwo}print("after")`, {
      onStdout: (text) => streamed.push(text),
    });
    expect(result.isError).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('before\nafter\n');
    expect(streamed.join('')).toBe(result.stdout);
    expect(result.executionId).toMatch(/^[0-9a-f]{32}$/);
    expect(
      result.figures.map((figure) => [figure.index, figure.title, figure.width, figure.height]),
    ).toEqual([
      [0, 'first', 400, 300],
      [1, 'second', 500, 200],
    ]);
    for (const figure of result.figures) {
      expect(figure.sink).toBe('base64');
      expect(figure.mediaType).toBe('image/png');
      expect(pngSize(figure.data as Uint8Array)).toEqual({
        width: figure.width,
        height: figure.height,
      });
      expect(figure.byteLength).toBe(figure.data?.byteLength);
    }
    expect(result.problems).toEqual([]);
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('gives each execution a new id and never re-sends an earlier figure', async () => {
    const box = sandbox();
    const first = await box.executePython(plotTwo);
    const second = await box.executePython(
      'import matplotlib.pyplot as plt\nprint(len(plt.get_fignums()))',
    );
    expect(first.figures).toHaveLength(2);
    expect(second.figures).toEqual([]);
    expect(second.stdout).toBe('0\n');
    expect(second.executionId).not.toBe(first.executionId);
  });

  it('reports a Python error as data with user line numbers, and still delivers the figures', async () => {
    const box = sandbox();
    const result = await box.executePython(
      'import matplotlib.pyplot as plt\nplt.plot([1, 2])\n\nvalue = 1 / 0\n',
    );
    expect(result.isError).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(result.error).toMatchObject({ name: 'ZeroDivisionError', value: 'division by zero' });
    expect(result.error?.traceback).toMatch(/line 4/);
    expect(result.stderr).toMatch(/ZeroDivisionError/);
    expect(result.figures).toHaveLength(1);
  });

  it('reports a SyntaxError with the line of the user code', async () => {
    const result = await sandbox().executePython('x = 1\ny = (\nprint(x');
    expect(result.isError).toBe(true);
    expect(result.error?.name).toBe('SyntaxError');
    expect(result.error?.traceback).toMatch(/line [23]/);
  });

  it('leaves a printed fake marker, or one with a guessed nonce, as plain stdout', async () => {
    const fake = `@@sandplot:${'0'.repeat(32)}:figure:e30=:iVBORw0KGgo=`;
    const result = await sandbox().executePython(
      `print(${JSON.stringify(fake)})\nprint("_IMG_abc_END_")`,
    );
    expect(result.stdout).toBe(`${fake}\n_IMG_abc_END_\n`);
    expect(result.figures).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it('lists figures over maxFigures and over maxFigureBytes in problems and delivers the rest', async () => {
    const box = sandbox({ capture: { maxFigures: 2 } });
    const many = await box.executePython(
      'import matplotlib.pyplot as plt\nfor i in range(4):\n    plt.figure(); plt.plot([i, i + 1])',
    );
    expect(many.figures).toHaveLength(2);
    expect(many.problems).toHaveLength(2);
    expect(many.problems.every((problem) => problem.stage === 'capture')).toBe(true);

    const small = sandbox({ capture: { maxFigureBytes: 2000 } });
    const big = await small.executePython(
      'import matplotlib.pyplot as plt\nimport numpy as np\nplt.figure(figsize=(8, 8)); plt.imshow(np.random.rand(200, 200))\nplt.figure(figsize=(1, 1))',
    );
    expect(big.figures.map((figure) => figure.index)).toEqual([1]);
    expect(big.problems).toEqual([
      expect.objectContaining({ index: 0, reason: expect.stringMatching(/maxFigureBytes/) }),
    ]);
  });

  it('stores svg figures when asked', async () => {
    const result = await sandbox({ capture: { format: 'svg' } }).executePython(
      'import matplotlib.pyplot as plt\nplt.plot([1, 2])',
    );
    expect(result.figures[0]?.mediaType).toBe('image/svg+xml');
    expect(Buffer.from(result.figures[0]?.data as Uint8Array).toString('utf8')).toMatch(/<svg/);
  });

  it('delivers 50 MB of stdout in full when maxOutputBytes allows it', async () => {
    const result = await sandbox({ maxOutputBytes: 64 * 1024 * 1024 }).executePython(
      'import sys\nline = "x" * 1023 + "\\n"\nfor _ in range(50 * 1024):\n    sys.stdout.write(line)',
    );
    expect(result.isError).toBe(false);
    expect(result.stdout.length).toBe(50 * 1024 * 1024);
    expect(result).not.toHaveProperty('stdoutTruncatedChars');
  });

  it('keeps the head and tail of stdout and stderr within maxOutputBytes, counts the cut, and streams all of it', async () => {
    let streamed = 0;
    let streamedErr = 0;
    const result = await sandbox({ maxOutputBytes: 64 * 1024 }).executePython(
      `import sys
print("first line")
line = "€" * 99 + "\\n"
for _ in range(100_000):
    sys.stdout.write(line)
    sys.stderr.write("e" * 99 + "\\n")
print("last line")
sys.stderr.write("last error\\n")`,
      {
        onStdout: (text) => {
          streamed += text.length;
        },
        onStderr: (text) => {
          streamedErr += text.length;
        },
      },
    );
    expect(result.isError).toBe(false);
    const total = 'first line\n'.length + 100_000 * 100 + 'last line\n'.length;
    expect(streamed).toBe(total);
    expect(streamedErr).toBe(100_000 * 100 + 'last error\n'.length);
    expect(result.stdout.startsWith('first line\n€€€')).toBe(true);
    expect(result.stdout.endsWith('€€€\nlast line\n')).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThan(64 * 1024 + 200);
    const cut =
      /\n\[… ([\d,]+) characters of stdout cut here: over maxOutputBytes \(65,536 bytes\), the first and last half kept …\]\n/.exec(
        result.stdout,
      );
    expect(Number(cut?.[1]?.replace(/,/g, ''))).toBe(result.stdoutTruncatedChars);
    expect(result.stdoutTruncatedChars).toBe(
      total - (result.stdout.length - (cut?.[0].length ?? 0)),
    );
    expect(result.stderr.endsWith('\nlast error\n')).toBe(true);
    expect(result.stderrTruncatedChars).toBeGreaterThan(9_900_000);
  });

  it('writes figures through a fallback sink and says why the first sink failed', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'sandplot-sandbox-'));
    await writeFile(join(parent, 'file'), '');
    const box = sandbox({
      imageSink: fallbackSink(localDirSink({ dir: join(parent, 'file', 'x') }), base64Sink()),
    });
    const result = await box.executePython('import matplotlib.pyplot as plt\nplt.plot([1, 2])');
    expect(result.figures).toHaveLength(1);
    expect(result.figures[0]?.sink).toBe('base64');
    expect(result.problems).toEqual([
      expect.objectContaining({
        index: 0,
        stage: 'store',
        sink: 'local-dir',
        reason: expect.any(String),
      }),
    ]);
  });

  it('turns a failing sink into a store problem, never a thrown error', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'sandplot-sandbox-'));
    await writeFile(join(parent, 'file'), '');
    const box = sandbox({ imageSink: localDirSink({ dir: join(parent, 'file', 'x') }) });
    const result = await box.executePython(
      'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nprint("ok")',
    );
    expect(result.stdout).toBe('ok\n');
    expect(result.figures).toEqual([]);
    expect(result.problems).toEqual([
      expect.objectContaining({ index: 0, stage: 'store', sink: 'local-dir' }),
    ]);
  });
});

describe('CodeSandbox timeouts, crashes and aborts', () => {
  it('interrupts an infinite loop at timeoutMs and keeps the variables', async () => {
    const box = sandbox();
    await box.executePython('kept = "still here"');
    const result = await box.executePython('while True:\n    pass', { timeoutMs: 500 });
    expect(result.isError).toBe(true);
    expect(result.error?.name).toBe('TimeoutError');
    expect(result.error?.value).toMatch(/500 ms/);
    expect(result.exitCode).toBeNull();
    const after = await box.executePython('print(kept)');
    expect(after.stdout).toBe('still here\n');
    expect(after.sessionRestarted).toBeUndefined();
  });

  it('reports a dead process as SandboxCrashed and restarts on the next call', async () => {
    const backend = countingBackend();
    const box = sandbox({ backend });
    await box.executePython('kept = 1');
    const crashed = await box.executePython('import os\nprint("bye", flush=True)\nos._exit(3)');
    expect(crashed.isError).toBe(true);
    expect(crashed.error?.name).toBe('SandboxCrashed');
    expect(crashed.stdout).toBe('bye\n');
    const next = await box.executePython('print("kept" in globals())');
    expect(next.sessionRestarted).toBe(true);
    expect(next.stdout).toBe('False\n');
    expect(backend.sessions).toHaveLength(2);
    expect(backend.sessions[0]?.isAlive).toBe(false);
    const later = await box.executePython('print(2)');
    expect(later.sessionRestarted).toBeUndefined();
  });

  it('starts the next session only once the lost one is stopped, so it never holds two', async () => {
    const inner = localBackend();
    const events: string[] = [];
    // A slow stop, as a remote service's can be: the new session must still wait for it.
    const backend: SandboxBackend = {
      name: inner.name,
      async createSession(options) {
        events.push('starting');
        const session = await inner.createSession(options);
        const close = session.close.bind(session);
        session.close = async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          await close();
          events.push('stopped');
        };
        return session;
      },
    };
    const box = sandbox({ backend });
    const crashed = await box.executePython('import os\nos._exit(3)');
    expect(crashed.error?.name).toBe('SandboxCrashed');
    expect((await box.executePython('print(1)')).stdout).toBe('1\n');
    expect(events).toEqual(['starting', 'stopped', 'starting']);
  });

  it('survives a segfault the same way', async () => {
    const box = sandbox();
    const crashed = await box.executePython('import ctypes\nctypes.string_at(0)');
    expect(crashed.error?.name).toBe('SandboxCrashed');
    expect((await box.executePython('print(1)')).sessionRestarted).toBe(true);
  });

  it('rejects with an AbortError when aborted, interrupting the code and keeping the session', async () => {
    const box = sandbox();
    await box.executePython('kept = 7');
    const controller = new AbortController();
    const running = box.executePython('import time\nwhile True:\n    time.sleep(0.01)', {
      abortSignal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 300);
    const failure = await running.catch((error: unknown) => error);
    expect(SandplotError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'ABORTED' });
    expect((await box.executePython('print(kept)')).stdout).toBe('7\n');
  });

  it('does not run a call whose signal was already aborted', async () => {
    const backend = countingBackend();
    const box = sandbox({ backend });
    await expect(
      box.executePython('print(1)', { abortSignal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(backend.sessions).toHaveLength(0);
  });
});
