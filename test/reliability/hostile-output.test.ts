import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMcpServer } from '../../src/adapters/mcp.js';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { createExecutePythonTool } from '../../src/tool/execute-python.js';
import { renderFigureLinks } from '../../src/tool/figure-ledger.js';
import type { ExecutionResult } from '../../src/types/index.js';
import { shareableTestSink } from '../support/adapter-fixtures.js';
import { assertBuildIsCurrent, cliPath, runCli } from '../support/cli.js';
import { recordCase } from './support/case-ledger.js';

// Hostile output against the host: what the code prints, titles and names must cost the host
// bounded time, event-loop delay and memory, and reach the model, a link or a terminal bounded and
// escaped. The "before" figures in the outcomes were measured on the code before these limits.

/** Runs `work`, measuring wall time, the longest event-loop stall and this process's RSS peak. */
async function measure<T>(work: () => Promise<T>) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - started) / 1000;
    // A stall is recorded when the loop gets to run again: give it the chance.
    await new Promise((resolve) => setTimeout(resolve, 50));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return {
      value,
      seconds,
      maxDelayMs: Math.round(delay.max / 1e6),
      peakMb: Math.round((peakRss - startRss) / 1e6),
    };
  } finally {
    clearInterval(sampler);
    delay.disable();
  }
}

let sandbox: CodeSandbox;

beforeAll(() => {
  // https URLs, so figures get links and MCP resource_link blocks.
  sandbox = new CodeSandbox({
    backend: localBackend(),
    timeoutMs: 120_000,
    imageSink: shareableTestSink(),
  });
});

afterAll(async () => {
  await sandbox?.close();
});

describe('hostile: output against the host', () => {
  test('100 MB of 255-character words: scrubbed for the model in bounded time, the event loop free', async () => {
    const tool = createExecutePythonTool(sandbox);
    const printed = await measure(() =>
      tool.invoke({
        code: "import sys\nline = ('A' * 255 + ' ') * 4096\nfor _ in range(96):\n    sys.stdout.write(line)",
      }),
    );
    // The same text from a sandbox without maxOutputBytes (a custom one): the tool's own bound.
    const unit = `${'A'.repeat(255)} `;
    const whole = unit.repeat(Math.ceil(100_000_000 / unit.length));
    whole.indexOf('\n'); // flat, as joined output is
    const direct = createExecutePythonTool({
      async executePython(): Promise<ExecutionResult> {
        return {
          executionId: 'custom',
          stdout: whole,
          stderr: '',
          exitCode: 0,
          isError: false,
          durationMs: 1,
          displays: [],
          figures: [],
          files: [],
          problems: [],
        };
      },
    });
    const scrubbed = await measure(() => direct.invoke({ code: 'x' }));
    const ok = (run: typeof printed, maxDelayMs: number) =>
      run.value.text.length <= 20_000 && run.maxDelayMs < maxDelayMs;
    recordCase({
      group: 'hostile',
      name: "100 MB of 'A' × 255 + space printed by plain code, through the tool",
      tried: 2,
      survived: (ok(printed, 3000) ? 1 : 0) + (ok(scrubbed, 1000) ? 1 : 0),
      lost: 0,
      outcome: `printed: ${printed.seconds.toFixed(1)} s, longest event-loop stall ${printed.maxDelayMs} ms, host +${printed.peakMb} MB; the same 100 MB handed over whole by a custom sandbox: cut to the budget then scrubbed in ${(scrubbed.seconds * 1000).toFixed(0)} ms, stall ${scrubbed.maxDelayMs} ms (before: 34–167 s, all of it an event-loop stall); text ${scrubbed.value.text.length.toLocaleString('en-US')} characters`,
    });
    // Generous for a loaded machine: the stall this replaces was 34 s and more.
    expect(printed.value.text.length).toBeLessThanOrEqual(20_000);
    expect(printed.maxDelayMs).toBeLessThan(3000);
    expect(scrubbed.value.text.length).toBeLessThanOrEqual(20_000);
    expect(scrubbed.maxDelayMs).toBeLessThan(1000);
    expect(scrubbed.seconds).toBeLessThan(1);
  });

  test('600 MB of stdout: the tool answers within its budget instead of a RangeError, memory bounded', async () => {
    const tool = createExecutePythonTool(sandbox);
    const run = await measure(() =>
      tool.invoke({
        code: "import sys\nline = 'x' * 999_999 + '\\n'\nfor _ in range(600):\n    sys.stdout.write(line)\nprint('end')",
      }),
    );
    const result = run.value.result as ExecutionResult;
    const cut = result.stdoutTruncatedChars ?? 0;
    const said = /\[… ([\d,]+) characters of stdout cut here/.exec(run.value.text);
    const ok = cut > 589_000_000 && run.value.text.endsWith('end\n') && said !== null;
    recordCase({
      group: 'hostile',
      name: '600 MB of stdout in one execution, through the tool',
      tried: 1,
      survived: ok ? 1 : 0,
      lost: ok ? 0 : 1,
      outcome: `no RangeError: ${(result.stdout.length / 1e6).toFixed(1)} M characters kept (maxOutputBytes 10 MiB), ${(cut / 1e6).toFixed(1)} M cut and counted, model text ${run.value.text.length.toLocaleString('en-US')} characters saying so; ${run.seconds.toFixed(1)} s, stall ${run.maxDelayMs} ms, host +${run.peakMb} MB (before: RangeError: Invalid string length after 11 s, host +654 MB)`,
    });
    expect(ok).toBe(true);
    expect(Number(said?.[1]?.replace(/,/g, ''))).toBeGreaterThan(cut);
    expect(run.value.text.length).toBeLessThanOrEqual(20_000);
    expect(run.peakMb).toBeLessThan(600);
  });

  test('20 figures with long chart summaries, an 8 KB error, 20 KB of stdout and a 1 MB title: one budget, clipped links', async () => {
    const server = createMcpServer(sandbox, {
      imagesForModel: 'never',
      closeSandboxOnClose: false,
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'hostile-output', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      const run = await measure(
        async () =>
          (await client.callTool({
            name: 'execute_python',
            arguments: {
              code: `import matplotlib.pyplot as plt
print('o' * 20_000)
for n in range(20):
    fig, ax = plt.subplots(figsize=(2, 2), dpi=20)
    for s in range(30):
        ax.plot(range(12), [i * s for i in range(12)], label=f'series {s} ' + 'label ' * 10)
    ax.set_title('[click](https://attacker.example) ' + 'T' * 1_000_000 if n == 10 else f'chart {n}')
    ax.title.set_visible(n != 10)
raise ValueError('v' * 8_000)
`,
            },
          })) as CallToolResult,
      );
      const text = run.value.content.flatMap((block) =>
        block.type === 'text' ? [block.text] : [],
      );
      const links = run.value.content.flatMap((block) =>
        block.type === 'resource_link' ? [block] : [],
      );
      const { resources } = await client.listResources();
      const longestTitle = Math.max(
        ...links.map((link) => link.title?.length ?? 0),
        ...resources.map((resource) => resource.title?.length ?? 0),
      );
      const length = text.join('').length;
      const ok = length <= 20_000 && longestTitle <= 200 && links.length === 20;
      recordCase({
        group: 'hostile',
        name: '20 figures × 1500-character chart summaries, an 8 KB error, 20 KB of stdout, a 1 MB hidden title, over MCP',
        tried: 2,
        survived: (length <= 20_000 ? 1 : 0) + (longestTitle <= 200 ? 1 : 0),
        lost: 0,
        outcome: `model text ${length.toLocaleString('en-US')} characters within maxOutputChars 20 000 (before: 61 562); longest resource_link / resource title ${longestTitle} characters (before: 1 000 034); ${run.seconds.toFixed(1)} s`,
      });
      expect(ok).toBe(true);
      expect(text.join('')).toMatch(/^Error: ValueError: v+/m);
      for (let ref = 1; ref <= 20; ref++) expect(text.join('')).toContain(`- figure ${ref}, `);
    } finally {
      await client.close();
    }
  });

  test('a title that carries a Markdown link and an image beacon stays text in the final answer', async () => {
    const tool = createExecutePythonTool(sandbox);
    await tool.invoke({
      code: `import matplotlib.pyplot as plt
plt.plot([1, 2])
plt.title('Q3 [details](https://attacker.example/phish) ![x](https://attacker.example/beacon.png) <img src=https://attacker.example/i>')
`,
    });
    const figures = tool.figures.slice(-1);
    const rendered = ['markdown', 'text'].map((format) =>
      renderFigureLinks(figures, { format: format as 'markdown' | 'text' }),
    );
    // Live constructs: an unescaped `](` or `![`, or a raw tag, beyond the link renderFigureLinks makes.
    const live = rendered.map((line) => {
      const bare = line.replace(/\\./g, '');
      const own = line.startsWith('![') ? 2 : 0;
      return (bare.match(/\]\(|!\[|<img/g)?.length ?? 0) - own;
    });
    recordCase({
      group: 'hostile',
      name: 'figure title with a Markdown link, an image beacon and an <img> tag, in renderFigureLinks (markdown and text)',
      tried: 2,
      survived: live.filter((count) => count === 0).length,
      lost: live.reduce((sum, count) => sum + count, 0),
      outcome: `live links or images from the title: markdown ${live[0]}, text ${live[1]} (before: markdown 1, a raw <img> tag; text 4, links and a zero-click image); metacharacters backslash-escaped, URLs percent-encoded`,
    });
    expect(live).toEqual([0, 0]);
  });

  test('sandplot run: window titles, screen clears and OSC 8 links from the code never reach the terminal', async () => {
    assertBuildIsCurrent();
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-hostile-output-'));
    try {
      await writeFile(
        join(cwd, 'hostile.py'),
        String.raw`import matplotlib.pyplot as plt
print("\x1b]0;owned\x07\x1b[2J\x1b]8;;https://attacker.example\x1b\\your bank\x1b]8;;\x1b\\")
plt.plot([1, 2])
plt.gca().set_title("t\x1b]0;owned\x07\x1b[2J\nfigure 2: \x1b]8;;https://attacker.example\x1b\\https://bank.example\x1b]8;;\x1b\\\x9b31m")
plt.gca().title.set_visible(False)
`,
      );
      const piped = await runCli(['run', 'hostile.py', '--sink', 'dir:out'], { cwd });
      const { stdout: tty } = await promisify(execFile)(
        'script',
        ['-qec', `${process.execPath} ${cliPath} run hostile.py --sink dir:out`, '/dev/null'],
        { cwd, timeout: 60_000 },
      );
      // The command's own lines (piped), and everything a terminal shows (its spinner aside).
      const ownLines = piped.stdout.split('\n').slice(1).join('\n') + piped.stderr;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the spinner's escape is what it removes.
      const shown = tty.replace(/\r\x1b\[2K(?:\S+ running [\d.]+s)?/g, '');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it counts.
      const controls = /[\x1b\x07\x80-\x9f]/g;
      const leaked = (ownLines.match(controls)?.length ?? 0) + (shown.match(controls)?.length ?? 0);
      const forgedLines = shown.split('\n').filter((line) => /^\s*figure 2:/.test(line)).length;
      recordCase({
        group: 'hostile',
        name: 'sandplot run with OSC 0, ESC[2J, an OSC 8 link and a forged "figure 2:" line in output and title',
        tried: 2,
        survived: (leaked === 0 ? 1 : 0) + (forgedLines === 0 ? 1 : 0),
        lost: leaked,
        outcome: `control characters reaching the terminal: ${leaked} (before: 23: a new window title, a cleared screen, a hidden link); forged "figure 2:" lines: ${forgedLines} (before: 1); piped stdout of the code passes through unchanged`,
      });
      expect(leaked).toBe(0);
      expect(forgedLines).toBe(0);
      expect(piped.stdout.startsWith('\x1b]0;owned\x07')).toBe(true);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
