import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertBuildIsCurrent, cliPath, runCli } from '../../support/cli.js';

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
      /^hello\nText\(0\.5, 1\.0, 'Line'\)\nfigure 1: out\/[0-9a-f]{32}-figure-1\.png {2}[\d,]+ bytes {2}\d+×\d+ px {2}"Line"\n$/,
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

  it('exits 1 with a TimeoutError line that names --timeout, and a traceback of the code only', async () => {
    const run = await runCli(['run', '-', '--timeout', '0.5'], {
      cwd: await scratch(),
      input: 'def spin():\n    while True: pass\nspin()\n',
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^sandplot: TimeoutError: The code ran longer than 500 ms and was interrupted; .* To allow more time: --timeout SECONDS\.$/,
    );
    expect(run.stderr).not.toMatch(/timeoutMs|sandplot-server|sandplot-prelude|_on_sigint/);
    // The traceback: the user's frames only (before, the server's SIGINT handler came last).
    expect(lines[0]).toBe('Traceback (most recent call last):');
    expect(lines.filter((line) => line.startsWith('  File '))).toEqual([
      '  File "<cell-1>", line 3, in <module>',
      '  File "<cell-1>", line 2, in spin',
    ]);
    expect(lines.at(-2)).toBe('KeyboardInterrupt');
  });

  it('names the figure file as it numbers the figure: figure 1 is figure-1', async () => {
    const cwd = await scratch();
    const run = await runCli(['run', '-', '--sink', 'dir:out'], {
      cwd,
      input:
        'import matplotlib.pyplot as plt\nfor n in range(3):\n    plt.figure(); plt.plot([n, 1])\n',
    });
    expect(run.code).toBe(0);
    const named = [...run.stdout.matchAll(/^figure (\d+): out\/[0-9a-f]{32}-figure-(\d+)\.png /gm)];
    expect(named.map((match) => [match[1], match[2]])).toEqual([
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
    ]);
    expect((await readdir(join(cwd, 'out'))).map((name) => name.slice(33)).sort()).toEqual([
      'figure-1.png',
      'figure-2.png',
      'figure-3.png',
    ]);
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

  it('a file that cannot be read is a usage error: exit 2, one line naming it, no stack', async () => {
    const cwd = await scratch();
    const missing = await runCli(['run', 'nope.py'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(
      'sandplot: "nope.py" cannot be read (ENOENT: no such file). [INVALID_INPUT]\n',
    );
    const folder = await runCli(['run', '.'], { cwd });
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(
      'sandplot: "." cannot be read (EISDIR: it is a folder). [INVALID_INPUT]\n',
    );
  });

  it('with --json, a failure is also a JSON error on stdout', async () => {
    const run = await runCli(['run', 'nope.py', '--json'], { cwd: await scratch() });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        code: 'INVALID_INPUT',
        message: '"nope.py" cannot be read (ENOENT: no such file).',
        exitCode: 2,
      },
    });
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const badOption = await runCli(['run', '-', '--json', '--timeout', 'soon'], { input: 'x' });
    expect(badOption.code).toBe(2);
    expect(JSON.parse(badOption.stdout).error).toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('an unknown option is one line and a pointer to the help, not the whole usage', async () => {
    const run = await runCli(['run', 'job.py', '--bogus'], { cwd: await scratch() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^sandplot: Unknown option '--bogus'\..*\n\nsandplot run --help lists the options\.\n$/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for empty code (INVALID_INPUT)', async () => {
    const run = await runCli(['run', '-'], { cwd: await scratch(), input: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/INVALID_INPUT/);
  });
});

// Code that prints and names things meant for a terminal: a window title (OSC 0), a screen clear,
// an OSC 8 hyperlink whose text is another site, a forged "figure 2:" line, 8-bit CSI, and an
// exception message that forges a sandplot line.
const hostileCode = String.raw`import matplotlib.pyplot as plt
from matplotlib.artist import Artist
print("out \x1b]0;owned\x07 \x1b[2J clear \x1b]8;;https://attacker.example\x1b\\link\x1b]8;;\x1b\\ end")
plt.plot([1, 2])
plt.gca().set_title("Sales\x1b]0;owned\x07\x1b[2J\nfigure 2: \x1b]8;;https://attacker.example\x1b\\https://bank.example\x1b]8;;\x1b\\ \x9b31m")
plt.gca().title.set_visible(False)
class Bad(Artist):
    def draw(self, renderer):
        raise RuntimeError("boom \x1b]0;owned\x07\x1b[2J\nsandplot: figure 9 was fine")
plt.figure().add_artist(Bad());
`;

/** What a terminal would act on: ESC, BEL, C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const terminalControl = /[\x1b\x07\x80-\x9f]/;

describe('sandplot run with hostile output', () => {
  it('prints titles and problem reasons as one line without escape sequences; piped stdout passes through', async () => {
    const cwd = await scratch();
    await writeFile(join(cwd, 'hostile.py'), hostileCode);
    const run = await runCli(['run', 'hostile.py', '--sink', 'dir:out'], { cwd });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    // Piped: the code's own output is data for the next program, unchanged.
    expect(lines[0]).toBe(
      'out \x1b]0;owned\x07 \x1b[2J clear \x1b]8;;https://attacker.example\x1b\\link\x1b]8;;\x1b\\ end',
    );
    // The command's own lines: before, the title printed raw (OSC 0, ESC[2J, a second line).
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /^figure 1: out\/[0-9a-f]{32}-figure-1\.png {2}[\d,]+ bytes {2}\d+×\d+ px {2}"Sales figure 2: https:\/\/bank\.example 31m"$/,
      ),
      '',
    ]);
    expect(run.stderr).toBe(
      'sandplot: figure 2 was not delivered (capture): figure 2 could not be saved: RuntimeError: boom sandplot: figure 9 was fine\n',
    );
  });

  it('on a terminal, strips escape sequences from the streamed output too', async () => {
    assertBuildIsCurrent();
    const cwd = await scratch();
    await writeFile(join(cwd, 'hostile.py'), hostileCode);
    // script(1) gives the command a pseudo-terminal, as a person's shell would.
    const { stdout } = await promisify(execFile)(
      'script',
      ['-qec', `${process.execPath} ${cliPath} run hostile.py --sink dir:out`, '/dev/null'],
      { cwd, timeout: 60_000 },
    );
    // The spinner's own \r\x1b[2K is the only control left: take it out, and the terminal's \r.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the spinner's escape is what it removes.
    const shown = stdout.replace(/\r\x1b\[2K(?:\S+ running [\d.]+s)?/g, '').replace(/\r\n/g, '\n');
    expect(shown).not.toMatch(terminalControl);
    expect(shown).toContain('out   clear link end\n');
    expect(shown).toContain('"Sales figure 2: https://bank.example 31m"\n');
  });

  it('--json escapes the controls JSON leaves raw (DEL, C1, bidi) and parses to the same result', async () => {
    const run = await runCli(['run', '-', '--json', '--sink', 'base64'], {
      cwd: await scratch(),
      input: 'print("a\\x9b2J b\\x7f c\\u202e d")\n',
    });
    expect(run.code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
    expect(run.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(run.stdout).toContain('"stdout": "a\\u009b2J b\\u007f c\\u202e d\\n"');
    expect(JSON.parse(run.stdout).stdout).toBe('a\x9b2J b\x7f c\u202e d\n');
  });
});

describe('sandplot run --input', () => {
  it('puts input files in under their base names and stores the files the code writes next to the figures', async () => {
    const cwd = await scratch();
    await writeFile(join(cwd, 'sales.csv'), 'region,units\nnorth,120\nsouth,95\n');
    await writeFile(
      join(cwd, 'job.py'),
      'import pandas as pd\nsales = pd.read_csv("sales.csv")\nsales.assign(double=sales.units * 2).to_csv("doubled.csv", index=False)\nprint(len(sales))\n',
    );
    const run = await runCli(
      ['run', 'job.py', '--input', join(cwd, 'sales.csv'), '--sink', 'dir:out'],
      {
        cwd,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('2');
    expect(lines[1]).toMatch(
      /^file "doubled\.csv": out\/[0-9a-f]{32}\/doubled\.csv {2}\d+ bytes {2}text\/csv$/,
    );
    const stored = (lines[1] as string).split(': ')[1]?.split('  ')[0] as string;
    expect(await readFile(join(cwd, stored), 'utf8')).toBe(
      'region,units,double\nnorth,120,240\nsouth,95,190\n',
    );

    const json = await runCli(
      ['run', 'job.py', '--input', join(cwd, 'sales.csv'), '--sink', 'dir:out', '--json'],
      { cwd },
    );
    const result = JSON.parse(json.stdout);
    expect(result.files).toEqual([
      expect.objectContaining({ path: 'doubled.csv', mediaType: 'text/csv', sink: 'local-dir' }),
    ]);
  });

  it('refuses an input file that cannot be read before running anything (exit 2, one line)', async () => {
    const cwd = await scratch();
    await writeFile(join(cwd, 'job.py'), 'print("ran")\n');
    const run = await runCli(['run', 'job.py', '--input', 'missing.csv'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'sandplot: --input "missing.csv" cannot be read (ENOENT: no such file). [INVALID_INPUT]\n',
    );
  });
});
