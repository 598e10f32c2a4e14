import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAPTURE } from '../../../src/capture/capture-options.js';
import { figureFilePath } from '../../../src/capture/figure-files.js';
import {
  checkFigureData,
  createFigureMarkerParser,
  parseFigureMarkers,
} from '../../../src/capture/parse-markers.js';
import { createNonce, wrapPythonCode } from '../../../src/capture/wrap-code.js';
import type { CaptureOptions } from '../../../src/types/index.js';
import { pngSize } from '../../support/png.js';

const PYTHON = '/usr/bin/python3';
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface ProcessOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

function runPython(args: string[], input?: string, cwd?: string): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      args,
      {
        ...(cwd === undefined ? {} : { cwd }),
        encoding: 'utf8',
        maxBuffer: 512 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), LANG: 'C.UTF-8' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ stdout, stderr, exitCode: error ? Number(error.code) : 0 });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

// Real output, cut where a pipe might cut it, must parse the same as in one piece.
function parseInRandomChunks(stdout: string, nonce: string) {
  const parser = createFigureMarkerParser({ nonce, maxFigureBytes: 64 * 1024 * 1024 });
  let text = '';
  let seed = 12_345; // a fixed LCG: the same cuts on every run
  for (let position = 0; position < stdout.length; ) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const size = 1 + (seed % 5000);
    text += parser.push(stdout.slice(position, position + size));
    position += size;
  }
  text += parser.end();
  return {
    stdout: text,
    figures: parser.figures,
    fileFigures: parser.fileFigures,
    problems: parser.problems,
    displays: parser.displays,
    freshInterpreter: parser.freshInterpreter,
    ...(parser.error === undefined ? {} : { error: parser.error }),
  };
}

/** Runs one wrapped execution the way a fresh `python3 -c` would. */
async function runOnce(
  code: string,
  capture: CaptureOptions = {},
  pythonArgs: string[] = [],
  cwd?: string,
) {
  const nonce = createNonce();
  const output = await runPython(
    [...pythonArgs, '-c', wrapPythonCode(code, { nonce, ...capture })],
    undefined,
    cwd,
  );
  const parsed = parseFigureMarkers(output.stdout, { nonce, maxFigureBytes: 64 * 1024 * 1024 });
  expect(parseInRandomChunks(output.stdout, nonce)).toEqual(parsed);
  return { ...parsed, raw: output.stdout, stderr: output.stderr, exitCode: output.exitCode, nonce };
}

// Execs cells one after another in `__main__.__dict__` like the local backend, giving each a
// fresh sys.stdout/sys.stderr (as a Jupyter kernel does). The driver runs in its own namespace
// so `__main__` holds only what the cells leave there.
const DRIVER = `
import io, json, sys, time

def main():
    cells = json.load(sys.stdin)
    namespace = sys.modules['__main__'].__dict__
    real_stdout, real_stderr = sys.stdout, sys.stderr
    results = []
    for cell in cells:
        timings = []
        for _ in range(cell.get('repeat', 1)):
            out, err = io.StringIO(), io.StringIO()
            sys.stdout, sys.stderr = out, err
            started = time.perf_counter()
            try:
                exec(cell['source'], namespace)
            except BaseException as error:
                err.write('DRIVER SAW %r' % (error,))
            finally:
                timings.append(time.perf_counter() - started)
                sys.stdout, sys.stderr = real_stdout, real_stderr
        results.append({'stdout': out.getvalue(), 'stderr': err.getvalue(), 'seconds': timings})
    real_stdout.write(json.dumps(results))

main()
`;

let driverDir = '';
let driverPath = '';

interface Cell {
  code: string;
  capture?: CaptureOptions;
  repeat?: number;
  /** Replaces the wrapped source, to simulate other wrappers. */
  edit?: (source: string) => string;
}

async function runSession(cells: Cell[]) {
  const nonces = cells.map(() => createNonce());
  const sources = cells.map((cell, index) => {
    const source = wrapPythonCode(cell.code, { nonce: nonces[index] ?? '', ...cell.capture });
    return { source: cell.edit ? cell.edit(source) : source, repeat: cell.repeat ?? 1 };
  });
  const output = await runPython(
    [
      '-c',
      `__import__('runpy').run_path(${JSON.stringify(driverPath)}, run_name='sandplot_test_driver')`,
    ],
    JSON.stringify(sources),
  );
  expect(output.stderr).toBe('');
  const results = JSON.parse(output.stdout) as {
    stdout: string;
    stderr: string;
    seconds: number[];
  }[];
  return results.map((result, index) => ({
    ...parseFigureMarkers(result.stdout, { nonce: nonces[index] ?? '' }),
    raw: result.stdout,
    stderr: result.stderr,
    seconds: result.seconds,
  }));
}

beforeAll(async () => {
  driverDir = await mkdtemp(join(tmpdir(), 'sandplot-wrap-test-'));
  driverPath = join(driverDir, 'driver.py');
  await writeFile(driverPath, DRIVER);
});

afterAll(async () => {
  await rm(driverDir, { recursive: true, force: true });
});

describe('wrapPythonCode in a fresh python3 -c', () => {
  it('runs plain code without importing matplotlib and returns its output untouched', async () => {
    const result = await runOnce(
      "import sys\nprint('héllo ✓')\nprint('matplotlib' in sys.modules)",
    );
    expect(result).toMatchObject({ stdout: 'héllo ✓\nFalse\n', figures: [], problems: [] });
    expect(result.error).toBeUndefined();
    expect(result.exitCode).toBe(0);
  });

  it('works where matplotlib is not installed', async () => {
    // -S leaves out site-packages, where Debian's matplotlib lives.
    const plain = await runOnce('print(6 * 7)', {}, ['-S']);
    expect(plain).toMatchObject({ stdout: '42\n', figures: [], problems: [] });
    const importing = await runOnce('import matplotlib.pyplot as plt', {}, ['-S']);
    expect(importing.error?.name).toBe('ModuleNotFoundError');
    expect(importing.problems).toEqual([]);
  });

  it('leaves no names in the globals of __main__', async () => {
    const probe = 'print(sorted(globals()))';
    const bare = await runPython(['-c', probe]);
    const wrapped = await runOnce(`${probe}\nimport sys`);
    expect(wrapped.stdout).toBe(bare.stdout);
    const after = await runOnce(
      'import matplotlib\nmatplotlib.use("agg")\nimport matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()\nprint(sorted(globals()))',
    );
    expect(after.stdout).toBe(bare.stdout.replace(']', ", 'matplotlib', 'plt']"));
  });

  it('captures every figure with its title and pixel size, in the order made', async () => {
    const result = await runOnce(
      [
        'import matplotlib.pyplot as plt',
        'figure = plt.figure(figsize=(4, 3))',
        "figure.suptitle('Sales €')",
        'plt.plot([1, 2, 3])',
        'plt.figure(figsize=(2, 2))',
        "plt.title('second')",
        'plt.figure()',
      ].join('\n'),
      { dpi: 50, tightBoundingBox: false },
    );
    expect(result.error).toBeUndefined();
    expect(result.problems).toEqual([]);
    expect(
      result.figures.map(({ index, mediaType, width, height, title }) => ({
        index,
        mediaType,
        width,
        height,
        title,
      })),
    ).toEqual([
      { index: 0, mediaType: 'image/png', width: 200, height: 150, title: 'Sales €' },
      { index: 1, mediaType: 'image/png', width: 100, height: 100, title: 'second' },
      { index: 2, mediaType: 'image/png', width: 320, height: 240, title: undefined },
    ]);
    for (const figure of result.figures) {
      expect(pngSize(figure.data)).toEqual({ width: figure.width, height: figure.height });
    }
    expect(result.stdout).toBe('');
  });

  it('captures figures when the code raises, and reports the error with user line numbers', async () => {
    const result = await runOnce(
      [
        'import matplotlib.pyplot as plt',
        'plt.plot([3, 1, 2])',
        "print('before')",
        'x = 1 / 0',
        "print('never')",
      ].join('\n'),
    );
    expect(result.stdout).toBe('before\n');
    expect(result.figures).toHaveLength(1);
    expect(result.error).toMatchObject({ name: 'ZeroDivisionError', value: 'division by zero' });
    const traceback = result.error?.traceback ?? '';
    expect(traceback).toMatch(
      /^Traceback \(most recent call last\):\n {2}File "<cell-1>", line 4, in <module>\n {4}x = 1 \/ 0\n/,
    );
    expect(traceback).toMatch(/ZeroDivisionError: division by zero\n$/);
    expect(traceback).not.toContain('sandplot');
    expect(result.stderr).toBe(traceback);
  });

  it('reports a SyntaxError at the user line, running nothing', async () => {
    const result = await runOnce("print('first')\nvalues = [1, 2\nprint(values)\n");
    expect(result.stdout).toBe('');
    expect(result.error?.name).toBe('SyntaxError');
    expect(result.error?.traceback).toContain('File "<cell-1>", line 2');
    expect(result.error?.traceback).toContain('values = [1, 2');
    expect(result.error?.traceback).not.toContain('Traceback (most recent call last)');
  });

  it('honours from __future__ imports at the top of the user code', async () => {
    const result = await runOnce(
      'from __future__ import annotations\ndef f(x: NotDefinedAnywhere) -> int:\n    return 1\nprint(f.__annotations__)',
    );
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe("{'x': 'NotDefinedAnywhere', 'return': 'int'}\n");
  });

  it('reports KeyboardInterrupt and SystemExit as errors and still captures figures', async () => {
    const interrupted = await runOnce(
      'import matplotlib.pyplot as plt\nplt.plot([1])\nraise KeyboardInterrupt',
    );
    expect(interrupted.error?.name).toBe('KeyboardInterrupt');
    expect(interrupted.figures).toHaveLength(1);
    const exited = await runOnce('import sys\nsys.exit(3)');
    expect(exited.error).toMatchObject({ name: 'SystemExit', value: '3' });
    expect(exited.error?.traceback).toContain('File "<cell-1>", line 2, in <module>');
  });

  it('captures at plt.show(): output before and after it stays in order, two shows give two captures', async () => {
    const result = await runOnce(
      [
        'import matplotlib.pyplot as plt',
        "print('a')",
        "plt.plot([1]); plt.title('first')",
        'plt.show()',
        "print('b', len(plt.get_fignums()))",
        "plt.plot([2]); plt.title('second')",
        'from matplotlib.pyplot import show',
        'show()',
        "print('c', end='')",
      ].join('\n'),
    );
    expect(result.stdout).toBe('a\nb 0\nc');
    expect(result.figures.map((figure) => figure.title)).toEqual(['first', 'second']);
    const marker = `@@sandplot:${result.nonce}:figure:`;
    const first = result.raw.indexOf(marker);
    const second = result.raw.indexOf(marker, first + 1);
    expect(result.raw.indexOf('a\n')).toBeLessThan(first);
    expect(first).toBeLessThan(result.raw.indexOf('b 0\n'));
    expect(result.raw.indexOf('b 0\n')).toBeLessThan(second);
    expect(result.raw.slice(result.raw.indexOf('\n', second) + 1)).toBe('c');
  });

  it('keeps output that imitates a marker without the nonce as plain stdout', async () => {
    const fake = Buffer.from('{"index":0,"format":"png"}').toString('base64');
    const code = [
      'import os',
      `print('@@sandplot::figure:${fake}:iVBORw0KGgo=')`,
      `print('@@sandplot:' + '0' * 32 + ':figure:${fake}:iVBORw0KGgo=')`,
      "print('@@sandplot:' + os.urandom(16).hex() + ':error:e30=:')",
    ].join('\n');
    const result = await runOnce(code);
    expect(result.figures).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(result.error).toBeUndefined();
    // The first run in a fresh interpreter says so with a marker of its own; the rest is the output.
    const rawOutput = result.raw.replace(`@@sandplot:${result.nonce}:fresh:e30=:\n`, '');
    expect(result.freshInterpreter).toBe(true);
    expect(result.stdout).toBe(rawOutput);
    expect(result.stdout.split('\n')).toHaveLength(4);
  });

  it('keeps text printed without a newline before a figure', async () => {
    const result = await runOnce(
      "import matplotlib.pyplot as plt\nprint('abc', end='')\nplt.plot([1])\nplt.show()\nprint('def')",
    );
    expect(result.stdout).toBe('abcdef\n');
    expect(result.figures).toHaveLength(1);
  });

  it('lists figures over maxFigures as problems and delivers the rest', async () => {
    const result = await runOnce(
      "import matplotlib.pyplot as plt\nfor i in range(4):\n    plt.figure(); plt.title(f't{i}')",
      { maxFigures: 2 },
    );
    expect(result.figures.map((figure) => [figure.index, figure.title])).toEqual([
      [0, 't0'],
      [1, 't1'],
    ]);
    expect(result.problems).toEqual([
      {
        stage: 'capture',
        index: 2,
        reason: 'figure 3 was not captured: over the limit of figures per call (maxFigures: 2)',
      },
      {
        stage: 'capture',
        index: 3,
        reason: 'figure 4 was not captured: over the limit of figures per call (maxFigures: 2)',
      },
    ]);
  });

  it('lists figures over maxFigureBytes as problems and delivers the rest', async () => {
    const result = await runOnce(
      [
        'import matplotlib.pyplot as plt, numpy as np',
        'plt.figure(figsize=(1, 1))',
        'plt.figure(figsize=(8, 8))',
        'plt.imshow(np.random.default_rng(1).random((400, 400)))',
        'plt.figure(figsize=(1, 1))',
      ].join('\n'),
      { maxFigureBytes: 50_000, tightBoundingBox: false },
    );
    expect(result.figures.map((figure) => figure.index)).toEqual([0, 2]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ stage: 'capture', index: 1 });
    expect(result.problems[0]?.reason).toMatch(
      /^figure 2 is [\d.]+ (KB|MB), over the limit of 48\.8 KB \(maxFigureBytes\)$/,
    );
    for (const figure of result.figures) expect(figure.data.length).toBeLessThanOrEqual(50_000);
  });

  it('reports a figure that cannot be saved and captures the others', async () => {
    const result = await runOnce(
      "import matplotlib.pyplot as plt\nplt.figure(); plt.title(r'$\\frac{$')\nplt.figure(); plt.title('fine')",
    );
    expect(result.figures.map((figure) => [figure.index, figure.title])).toEqual([[1, 'fine']]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ stage: 'capture', index: 0 });
    expect(result.problems[0]?.reason).toMatch(/^figure 1 could not be saved: ValueError/);
  });

  it('saves SVG and JPEG figures with their sizes', async () => {
    const code =
      "import matplotlib.pyplot as plt\nplt.figure(figsize=(3, 2)); plt.plot([1, 2]); plt.title('t')";
    const svg = await runOnce(code, { format: 'svg', dpi: 72, tightBoundingBox: false });
    expect(svg.problems).toEqual([]);
    expect(svg.figures).toHaveLength(1);
    expect(svg.figures[0]).toMatchObject({
      mediaType: 'image/svg+xml',
      width: 216,
      height: 144,
      title: 't',
    });
    expect(Buffer.from(svg.figures[0]?.data ?? []).toString('utf8')).toContain('<svg');
    const jpeg = await runOnce(code, { format: 'jpeg', dpi: 60, tightBoundingBox: false });
    expect(jpeg.problems).toEqual([]);
    expect(jpeg.figures[0]).toMatchObject({
      mediaType: 'image/jpeg',
      width: 180,
      height: 120,
      title: 't',
    });
    expect([...(jpeg.figures[0]?.data.subarray(0, 3) ?? [])]).toEqual([0xff, 0xd8, 0xff]);
  });

  it('leaves figures alone when capture is disabled but still reports the error', async () => {
    const result = await runOnce(
      "import matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()\nprint(len(plt.get_fignums()))\nraise ValueError('bad')",
      { enabled: false },
    );
    expect(result.figures).toEqual([]);
    expect(result.stdout).toBe('1\n');
    expect(result.error).toMatchObject({ name: 'ValueError', value: 'bad' });
  });
});

describe('wrapPythonCode in a persistent namespace', () => {
  it('keeps variables, never re-sends a figure, and points tracebacks at the defining cell', async () => {
    const [first, second, third, fourth] = await runSession([
      {
        code: [
          'import matplotlib.pyplot as plt',
          'total = 41',
          'plt.plot([1, 2])',
          'def explode(value):',
          "    raise RuntimeError(f'bad {value}')",
        ].join('\n'),
      },
      { code: 'total += 1\nprint(total, len(plt.get_fignums()))' },
      { code: "plt.figure(); plt.title('again')" },
      { code: '\n\nexplode(total)' },
    ]);
    expect(first?.figures).toHaveLength(1);
    expect(second).toMatchObject({ stdout: '42 0\n', figures: [], problems: [] });
    expect(third?.figures.map((figure) => [figure.index, figure.title])).toEqual([[0, 'again']]);
    expect(fourth?.error).toMatchObject({ name: 'RuntimeError', value: 'bad 42' });
    expect(fourth?.error?.traceback).toBe(
      [
        'Traceback (most recent call last):',
        '  File "<cell-4>", line 3, in <module>',
        '    explode(total)',
        '  File "<cell-1>", line 5, in explode',
        "    raise RuntimeError(f'bad {value}')",
        'RuntimeError: bad 42',
        '',
      ].join('\n'),
    );
    expect(fourth?.stderr).toBe(fourth?.error?.traceback);
  });

  it('adds nothing to the namespace but what the user code defines', async () => {
    const probe = "print(sorted(name for name in globals() if name != '__builtins__'))";
    const results = await runSession([
      { code: probe },
      { code: 'import matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()\nx = 1' },
      { code: '1 / 0' },
      { code: probe },
    ]);
    const before = JSON.parse((results[0]?.stdout ?? '').replaceAll("'", '"')) as string[];
    const after = JSON.parse((results[3]?.stdout ?? '').replaceAll("'", '"')) as string[];
    expect(after).toEqual([...before, 'plt', 'x'].sort());
  });

  it('installs the prelude once: a warm print(1) costs well under a millisecond', async () => {
    const [, warm] = await runSession([{ code: 'print(1)' }, { code: 'print(1)', repeat: 200 }]);
    expect(warm?.stdout).toBe('1\n');
    const sorted = [...(warm?.seconds ?? [])].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.POSITIVE_INFINITY;
    expect(median).toBeLessThan(0.0005);
  });

  it('replaces an older prelude version in place, keeping the cell numbering', async () => {
    const probe = [
      'import sys',
      "print(sorted(name for name in sys.modules if name.startswith('_sandplot_prelude_')))",
      "print(sum(1 for finder in sys.meta_path if getattr(finder, '_sandplot_finder', False)))",
      'raise ValueError()',
    ].join('\n');
    const [older, newer] = await runSession([
      {
        code: probe,
        edit: (source) =>
          source.replaceAll(/_sandplot_prelude_[0-9a-f]+/g, '_sandplot_prelude_old'),
      },
      { code: probe },
    ]);
    expect(older?.stdout).toBe("['_sandplot_prelude_old']\n1\n");
    expect(newer?.stdout).toMatch(/^\['_sandplot_prelude_[0-9a-f]{16}'\]\n1\n$/);
    expect(newer?.error?.traceback).toContain('File "<cell-2>", line 4');
  });

  it('captures plt.show() in a cell after pyplot was imported by an earlier one', async () => {
    const [, second] = await runSession([
      { code: 'import matplotlib.pyplot as plt', capture: { enabled: false } },
      { code: "plt.plot([1])\nplt.show()\nprint('after show', len(plt.get_fignums()))" },
    ]);
    expect(second?.figures).toHaveLength(1);
    expect(second?.stdout).toBe('after show 0\n');
    expect([...(second?.figures[0]?.data.subarray(0, 8) ?? [])]).toEqual(PNG_MAGIC);
  });
});

describe("wrapPythonCode with transport 'files'", () => {
  let cwd = '';

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'sandplot-files-test-'));
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  // Figures of random pixels do not compress: each PNG is well over 20 kB.
  const NOISY_FIGURES = [
    'import matplotlib.pyplot as plt, numpy as np',
    'plt.figure(figsize=(4, 3))',
    "plt.title('noise')",
    'plt.imshow(np.random.default_rng(1).random((200, 200)))',
    'plt.figure(figsize=(2, 2))',
    "plt.suptitle('more noise')",
    'plt.imshow(np.random.default_rng(2).random((100, 100)))',
    "print('done')",
  ].join('\n');

  it('saves each figure under .sandplot/figures/{nonce} of the working directory and prints only a small marker', async () => {
    // Without chart data, which travels in the marker's header (tested in chart-data.test.ts).
    const result = await runOnce(
      NOISY_FIGURES,
      { transport: 'files', chartData: false, tightBoundingBox: false },
      [],
      cwd,
    );
    expect(result.error).toBeUndefined();
    expect(result.problems).toEqual([]);
    expect(result.stdout).toBe('done\n');
    expect(result.figures).toEqual([]);
    expect(result.fileFigures).toEqual([
      { index: 0, mediaType: 'image/png', width: 400, height: 300, title: 'noise' },
      { index: 1, mediaType: 'image/png', width: 200, height: 200, title: 'more noise' },
    ]);
    expect(await readdir(join(cwd, '.sandplot/figures', result.nonce))).toEqual([
      'figure-1.png',
      'figure-2.png',
    ]);
    let fileBytes = 0;
    for (const figure of result.fileFigures) {
      const data = new Uint8Array(await readFile(join(cwd, figureFilePath(result.nonce, figure))));
      fileBytes += data.length;
      expect(pngSize(data)).toEqual({ width: figure.width, height: figure.height });
      expect(checkFigureData(figure, data, DEFAULT_CAPTURE)).toMatchObject(figure);
    }
    expect(fileBytes).toBeGreaterThan(40_000);
    // No image data on stdout: no PNG signature in base64, and two short marker lines.
    expect(result.raw).not.toContain('iVBORw0KGgo');
    expect(result.raw.split('\n').filter((line) => line.includes(':figure-file:'))).toHaveLength(2);
    expect(Buffer.byteLength(result.raw)).toBeLessThan(400);
  });

  it('keeps writing where the host reads after the code changes directory, with the format as extension', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'sandplot-elsewhere-'));
    try {
      for (const [format, extension] of [
        ['jpeg', 'jpg'],
        ['svg', 'svg'],
      ] as const) {
        const result = await runOnce(
          `import os\nos.chdir(${JSON.stringify(elsewhere)})\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])`,
          { transport: 'files', format },
          [],
          cwd,
        );
        expect(result.problems).toEqual([]);
        const [figure] = result.fileFigures;
        expect(figure).toBeDefined();
        if (figure === undefined) return;
        const path = figureFilePath(result.nonce, figure);
        expect(path).toBe(`.sandplot/figures/${result.nonce}/figure-1.${extension}`);
        const data = new Uint8Array(await readFile(join(cwd, path)));
        expect(typeof checkFigureData(figure, data, DEFAULT_CAPTURE)).toBe('object');
      }
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('captures the figure when the code raises, and lists figures over the limits without writing them', async () => {
    const result = await runOnce(
      `${NOISY_FIGURES}\nplt.figure(figsize=(1, 1))\nraise ValueError('late')`,
      { transport: 'files', maxFigureBytes: 100_000, maxFigures: 2 },
      [],
      cwd,
    );
    expect(result.error?.name).toBe('ValueError');
    expect(result.fileFigures.map((figure) => figure.index)).toEqual([1]);
    expect(result.problems.map((problem) => [problem.stage, problem.index])).toEqual([
      ['capture', 0],
      ['capture', 2],
    ]);
    expect(result.problems[0]?.reason).toMatch(/\(maxFigureBytes\)/);
    expect(result.problems[1]?.reason).toMatch(/\(maxFigures: 2\)/);
    expect(await readdir(join(cwd, '.sandplot/figures', result.nonce))).toEqual(['figure-2.png']);
  });

  it('reports a figure it cannot write as a capture problem', async () => {
    const blocked = await mkdtemp(join(tmpdir(), 'sandplot-blocked-'));
    try {
      await writeFile(join(blocked, '.sandplot'), 'a file where the folder would go');
      const result = await runOnce(
        'import matplotlib.pyplot as plt\nplt.plot([1])',
        { transport: 'files' },
        [],
        blocked,
      );
      expect(result.fileFigures).toEqual([]);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ stage: 'capture', index: 0 });
      expect(result.problems[0]?.reason).toMatch(/^figure 1 could not be saved: \w+Error/);
    } finally {
      await rm(blocked, { recursive: true, force: true });
    }
  });
});
