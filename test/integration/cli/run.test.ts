import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sandplot-run-'));
}

describe('sandplot run', () => {
  it('runs a file, streams its output and writes figures to the --sink folder', async () => {
    const cwd = await scratch();
    await writeFile(
      join(cwd, 'plot.py'),
      'import matplotlib.pyplot as plt\nprint("hello")\nplt.plot([1, 3, 2])\nplt.title("Line")\n',
    );
    const run = await runCli(['run', 'plot.py', '--sink', 'dir:out'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^hello\nText\(0\.5, 1\.0, 'Line'\)\nfigure 1: out\/[0-9a-f]{32}-figure-0\.png {2}[\d,]+ bytes {2}\d+×\d+ px {2}"Line"\n$/,
    );
    expect(await readdir(join(cwd, 'out'))).toHaveLength(1);
  });

  it('reads code from standard input with -, and --json prints the whole result', async () => {
    const run = await runCli(['run', '-', '--json', '--sink', 'base64', '--format', 'svg'], {
      cwd: await scratch(),
      input: 'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nprint(6 * 7)\n',
    });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ stdout: '42\n', isError: false, exitCode: 0, problems: [] });
    expect(result.figures).toHaveLength(1);
    expect(result.figures[0].mediaType).toBe('image/svg+xml');
    expect(result.figures[0].url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(result.figures[0].data).toBeUndefined();
  });

  it('exits 1 when the Python raises, with the traceback on stderr', async () => {
    const run = await runCli(['run', '-'], {
      cwd: await scratch(),
      input: 'print("start")\nraise ValueError("bad input")\n',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('start\n');
    expect(run.stderr).toMatch(/ValueError: bad input/);
    expect(run.stderr).toMatch(/line 2/);
  });

  it('exits 1 with a TimeoutError message when --timeout passes', async () => {
    const run = await runCli(['run', '-', '--timeout', '0.5'], {
      cwd: await scratch(),
      input: 'while True: pass\n',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/TimeoutError: The code ran longer than 500 ms/);
  });

  it('exits 2 on usage errors with a message saying what is wrong', async () => {
    const badSink = await runCli(['run', '-', '--sink', 'ftp://x'], {
      cwd: await scratch(),
      input: 'print(1)',
    });
    expect(badSink.code).toBe(2);
    expect(badSink.stderr).toMatch(/Unknown --sink "ftp:\/\/x"/);
    const noFile = await runCli(['run'], { cwd: await scratch() });
    expect(noFile.code).toBe(2);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command/);
  });

  it('exits 2 for empty code (INVALID_INPUT)', async () => {
    const run = await runCli(['run', '-'], { cwd: await scratch(), input: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/INVALID_INPUT/);
  });
});
