import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { recordCase } from './support/case-ledger.js';

// Hostile volume: a huge figure, a thousand figures, 100 MB of output, bytes that are not UTF-8.
// The host must stay up, with bounded memory, and say what it refused.

/** Runs `work` while sampling this process's RSS; returns the peak above the start, in MB. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakMb: Math.round((peak - start) / 1e6) };
  } finally {
    clearInterval(timer);
  }
}

let sandbox: CodeSandbox;

beforeAll(() => {
  sandbox = new CodeSandbox({ backend: localBackend(), timeoutMs: 60_000 });
});

afterAll(async () => {
  await sandbox?.close();
});

describe('hostile: volume', () => {
  test('a 10000×10000 px figure: refused before rendering by default; a MemoryError problem when allowed under a tight memory limit', async () => {
    const code = `import matplotlib.pyplot as plt, resource
fig = plt.figure(figsize=(100, 100), dpi=100)
plt.plot([0, 1], [0, 1])
plt.title('huge')
plt.show()
print('peak MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)`;
    const started = performance.now();
    const { value: result, peakMb } = await peakRss(() => sandbox.executePython(code));
    const seconds = (performance.now() - started) / 1000;
    const sandboxPeak = Number(/peak MB (\d+)/.exec(result.stdout)?.[1]);

    await using tight = new CodeSandbox({
      backend: localBackend({ memoryLimitBytes: 768 * 1024 ** 2 }),
      capture: { maxFigureSidePixels: 10_000 },
      timeoutMs: 60_000,
    });
    const limited = await tight.executePython(code);
    const after = await tight.executePython('print("alive")');
    const refused = result.problems[0]?.reason ?? '';
    recordCase({
      group: 'hostile',
      name: 'a 10000×10000 px figure (figsize 100×100 in at 100 dpi)',
      tried: 2,
      survived:
        (result.figures.length === 0 && /maxFigureSidePixels/.test(refused) ? 1 : 0) +
        (limited.figures.length === 0 && limited.problems.length === 1 ? 1 : 0),
      lost: 0,
      outcome: `default maxFigureSidePixels 8000: not rendered, a problem ("${refused.slice(0, 60)}…") in ${seconds.toFixed(1)} s, sandbox peak ${sandboxPeak} MB, host +${peakMb} MB; allowed (maxFigureSidePixels 10000) under memoryLimitBytes 768 MiB: a capture problem (${limited.problems[0]?.reason.slice(0, 60)}), session kept`,
    });
    expect(result.figures).toEqual([]);
    expect(result.problems).toEqual([
      {
        index: 0,
        stage: 'capture',
        reason: expect.stringMatching(
          /10000×10000 px, over the limit of 8000 px a side \(maxFigureSidePixels\)/,
        ),
      },
    ]);
    expect(limited.figures).toEqual([]);
    expect(limited.problems).toHaveLength(1);
    expect(limited.problems[0]?.reason).toMatch(/MemoryError|memory|allocate/i);
    expect(after.stdout).toBe('alive\n');
    expect(peakMb).toBeLessThan(200);
  });

  test('1000 figures: maxFigures holds and every other figure is a problem', async () => {
    const started = performance.now();
    const { value: result, peakMb } = await peakRss(() =>
      sandbox.executePython(
        // Empty figures: axes would cost matplotlib ~50 ms each, which is not what is tested.
        'import matplotlib.pyplot as plt\nfor i in range(1000):\n    plt.figure(figsize=(1, 1), dpi=20)',
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const accounted = result.figures.length + result.problems.length;
    recordCase({
      group: 'hostile',
      name: '1000 figures in one execution',
      tried: 1000,
      survived: accounted,
      lost: 1000 - accounted,
      outcome: `${result.figures.length} delivered (maxFigures 20), ${result.problems.length} listed in problems; ${seconds.toFixed(1)} s; host +${peakMb} MB`,
    });
    expect(result.figures).toHaveLength(20);
    expect(result.problems).toHaveLength(980);
    expect(result.problems[0]?.reason).toMatch(/\(maxFigures: 20\)/);
  });

  test('100 MB of stdout: the head and tail within maxOutputBytes, the cut counted, the host bounded', async () => {
    const started = performance.now();
    const { value: result, peakMb } = await peakRss(() =>
      sandbox.executePython(
        "import sys\nline = 'x' * 999_999 + '\\n'\nfor _ in range(100):\n    sys.stdout.write(line)\nprint('end')",
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const kept = result.stdout.length;
    const cut = result.stdoutTruncatedChars ?? 0;
    const marker =
      /\n?\[… [\d,]+ characters of stdout cut here: [^\n]*\n/.exec(result.stdout)?.[0] ?? '';
    const accounted = kept - marker.length + cut === 100_000_004;
    recordCase({
      group: 'hostile',
      name: '100 MB of stdout in one execution',
      tried: 1,
      survived: accounted ? 1 : 0,
      lost: accounted ? 0 : 1,
      outcome: `first and last 5 MiB kept (maxOutputBytes 10 MiB), ${(cut / 1e6).toFixed(1)} M characters cut and counted (stdoutTruncatedChars) in ${seconds.toFixed(1)} s; host RSS +${peakMb} MB`,
    });
    expect(accounted).toBe(true);
    expect(result.stdout.startsWith('xxxx')).toBe(true);
    expect(result.stdout.endsWith('x\nend\n')).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThan(10 * 1024 * 1024 + 200);
    expect(peakMb).toBeLessThan(600);
  });

  test('bytes that are not UTF-8 become replacement characters, and markers after them still parse', async () => {
    const result = await sandbox.executePython(`import sys, matplotlib.pyplot as plt
sys.stdout.buffer.write(b'bad \\xff\\xfe\\x80 end\\n'); sys.stdout.flush()
sys.stderr.buffer.write(b'err \\xc3\\x28\\n'); sys.stderr.flush()
sys.stdout.buffer.write(b'euro \\xe2\\x82'); sys.stdout.flush()
sys.stdout.buffer.write(b'\\xac\\n'); sys.stdout.flush()
sys.stdout.buffer.write(b'\\xff'); sys.stdout.flush()
plt.plot([1, 2]); plt.title('after the bad bytes')
`);
    const ok =
      result.stdout.startsWith('bad \ufffd\ufffd\ufffd end\neuro €\n\ufffd') &&
      result.stderr.includes('err \ufffd(') &&
      result.figures.length === 1;
    recordCase({
      group: 'hostile',
      name: 'non-UTF-8 bytes on stdout and stderr, a figure after them',
      tried: 3,
      survived: ok ? 3 : 0,
      lost: 1 - result.figures.length,
      outcome: `invalid bytes → U+FFFD, a character split across writes decoded whole, ${result.figures.length} figure parsed after them, no error`,
    });
    expect(result.stdout).toBe('bad \ufffd\ufffd\ufffd end\neuro €\n\ufffd');
    expect(result.stderr).toContain('err \ufffd(');
    expect(result.figures).toHaveLength(1);
    expect(result.figures[0]?.title).toBe('after the bad bytes');
    expect(result.isError).toBe(false);
  });
});
