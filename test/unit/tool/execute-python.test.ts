import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import {
  BackendError,
  ConfigError,
  InvalidInputError,
  SandplotError,
} from '../../../src/errors/index.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';
import { getFigureLedger, renderFigureLinks } from '../../../src/tool/figure-ledger.js';
import { modelArguments } from '../../../src/tool/tool-input.js';
import type { ExecuteOptions, ExecutionResult, StoredFigure } from '../../../src/types/index.js';
import { tinyPng } from '../../support/png.js';

const tinyPngBase64 = Buffer.from(tinyPng).toString('base64');

function figure(
  index: number,
  overrides: { [K in keyof StoredFigure]?: StoredFigure[K] | undefined } = {},
): StoredFigure {
  const merged = {
    index,
    mediaType: 'image/png',
    width: 1000,
    height: 600,
    title: `Chart ${index + 1}`,
    sink: 'base64',
    url: `data:image/png;base64,${tinyPngBase64}`,
    byteLength: tinyPng.byteLength,
    data: tinyPng,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(merged).filter(([, value]) => value !== undefined),
  ) as unknown as StoredFigure;
}

function result(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    executionId: 'exec1',
    stdout: '',
    stderr: '',
    exitCode: 0,
    isError: false,
    durationMs: 12,
    displays: [],
    files: [],
    figures: [],
    problems: [],
    ...overrides,
  };
}

/** A sandbox that answers from a script and records the calls it got. */
function scriptedSandbox(...answers: (ExecutionResult | Error)[]) {
  const calls: { code: string; options: ExecuteOptions | undefined }[] = [];
  return {
    calls,
    async executePython(code: string, options?: ExecuteOptions): Promise<ExecutionResult> {
      calls.push({ code, options });
      const answer = answers.shift();
      if (!answer) throw new Error('no scripted answer left');
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('createExecutePythonTool: definition', () => {
  it('has a name, a description that tells the model what it has, and a JSON Schema', () => {
    const tool = createExecutePythonTool(scriptedSandbox());
    expect(tool.name).toBe('execute_python');
    expect(tool.description).toMatch(/pandas, numpy, matplotlib and seaborn/);
    expect(tool.description).toMatch(/persist between calls/);
    expect(tool.description).toMatch(/no need to save, encode or print/);
    expect(tool.jsonSchema).toMatchObject({
      type: 'object',
      properties: { code: { type: 'string' }, description: { type: 'string' } },
      required: ['code'],
    });
    expect(createExecutePythonTool(scriptedSandbox(), { name: 'python' }).name).toBe('python');
  });

  it('rejects bad options and a missing sandbox with a ConfigError that names the option', () => {
    expect(() => createExecutePythonTool({} as never)).toThrow(/CodeSandbox/);
    expect(() => createExecutePythonTool({} as never)).toThrow(ConfigError);
    expect(() =>
      createExecutePythonTool(scriptedSandbox(), { imagesForModel: 'sometimes' as never }),
    ).toThrow(/^Invalid execute_python tool options: `imagesForModel`: /);
    expect(() => createExecutePythonTool(scriptedSandbox(), { name: 'has space' })).toThrow(/name/);
    expect(() => createExecutePythonTool(scriptedSandbox(), { maxImage: 3 } as never)).toThrow(
      /unknown option `maxImage`/,
    );
  });
});

describe('createExecutePythonTool: bad input', () => {
  it.each([
    ['no code', {}],
    ['code not a string', { code: 42 }],
    ['empty code', { code: '' }],
    ['not an object', 'print(1)'],
  ])('answers %s with an error result and does not run anything', async (_, input) => {
    const sandbox = scriptedSandbox();
    const output = await createExecutePythonTool(sandbox).invoke(modelArguments(input));
    expect(output.isError).toBe(true);
    expect(output.errorCode).toBe('INVALID_INPUT');
    expect(output.text).toMatch(/^Invalid input for execute_python: .*code/);
    expect(output.text).toMatch(/did not run/);
    expect(sandbox.calls).toHaveLength(0);
  });

  it('turns the sandbox INVALID_INPUT (code too large) into an error result', async () => {
    const sandbox = scriptedSandbox(new InvalidInputError('The code is 9 bytes, over the limit.'));
    const output = await createExecutePythonTool(sandbox).invoke({ code: 'print(1)' });
    expect(output).toMatchObject({ isError: true, errorCode: 'INVALID_INPUT', images: [] });
    expect(output.text).toMatch(/over the limit\. Call it again/);
    expect(output.text).not.toContain('..');
  });

  it('tells the model what it can do about over-long code; the option is for the developer', async () => {
    // A real CodeSandbox: the size is checked before any session starts, so no Python runs.
    const sandbox = new CodeSandbox({ backend: localBackend(), maxCodeBytes: 100 });
    const output = await createExecutePythonTool(sandbox).invoke({
      code: `x = ${'1'.repeat(200)}`,
    });
    expect(output).toMatchObject({ isError: true, errorCode: 'INVALID_INPUT' });
    expect(output.text).toBe(
      'The code is 204 bytes, over the limit of 100 bytes for one call, so it did not run. Send shorter code: split the work into several calls (variables and files persist between them), and do not paste large data into the code; read it from the files in the working directory instead.',
    );
    // Nothing the model cannot act on: no option names, no code spans, no doubled period.
    expect(output.text).not.toMatch(/maxCodeBytes|writeFiles|Raise|option|`|\.\./);
    expect(InvalidInputError.isInstance(output.error)).toBe(true);
    expect(output.error?.message).toMatch(/raise the `maxCodeBytes` option of CodeSandbox/);
    const blank = await createExecutePythonTool(sandbox).invoke({ code: '   ' });
    expect(blank.text).toBe(
      'The code is empty, so nothing ran. Call the tool again with the Python code to run in "code".',
    );
    await sandbox.close();
  });

  it('types its input as { code, description? } and still checks it at run time', async () => {
    const sandbox = scriptedSandbox();
    const tool = createExecutePythonTool(sandbox);
    // @ts-expect-error a bare string is not the tool's input (the compiler says so)
    const output = await tool.invoke('print(1)');
    expect(output).toMatchObject({ isError: true, errorCode: 'INVALID_INPUT' });
    // @ts-expect-error neither is code that is not a string
    expect((await tool.invoke({ code: 42 })).errorCode).toBe('INVALID_INPUT');
    expect(sandbox.calls).toHaveLength(0);
  });
});

describe('createExecutePythonTool: sandbox failures', () => {
  it('answers a SandplotError with an error result that says it is not the code', async () => {
    const sandbox = scriptedSandbox(
      new BackendError('AgentCore answered 503.', { isRetryable: true }),
    );
    const output = await createExecutePythonTool(sandbox).invoke({ code: 'print(1)' });
    expect(output.isError).toBe(true);
    expect(output.errorCode).toBe('BACKEND_FAILED');
    expect(output.text).toBe(
      'The Python sandbox failed (BACKEND_FAILED) and the code did not run. This is not a problem in your code; trying again later may work.',
    );
    // The developer's message (what failed, which option fixes it) stays on the error object.
    expect(output.error?.message).toBe('AgentCore answered 503.');
  });

  it("rethrows with onSandboxError 'throw', on abort, and for errors that are not sandplot's", async () => {
    const failed = new BackendError('down');
    await expect(
      createExecutePythonTool(scriptedSandbox(failed), { onSandboxError: 'throw' }).invoke({
        code: 'x',
      }),
    ).rejects.toBe(failed);
    const aborted = new SandplotError('ABORTED', 'aborted');
    await expect(
      createExecutePythonTool(scriptedSandbox(aborted)).invoke({ code: 'x' }),
    ).rejects.toBe(aborted);
    const bug = new TypeError('bug');
    await expect(createExecutePythonTool(scriptedSandbox(bug)).invoke({ code: 'x' })).rejects.toBe(
      bug,
    );
  });

  it('passes description, timeout and abortSignal to the sandbox', async () => {
    const sandbox = scriptedSandbox(result());
    const controller = new AbortController();
    await createExecutePythonTool(sandbox, { timeoutMs: 5000 }).invoke(
      { code: 'print(1)', description: 'prints one' },
      { abortSignal: controller.signal },
    );
    expect(sandbox.calls[0]?.options).toMatchObject({
      description: 'prints one',
      timeoutMs: 5000,
      abortSignal: controller.signal,
    });
  });
});

describe('createExecutePythonTool: output text', () => {
  it('keeps head and tail of long output and says how much was cut', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const stdout = `${lines.join('\n')}\n`;
    const tool = createExecutePythonTool(scriptedSandbox(result({ stdout })), {
      maxOutputChars: 2000,
    });
    const { text } = await tool.invoke({ code: 'x' });
    expect(text).toContain('line 0 ');
    expect(text).toContain('line 4999 ');
    expect(text).not.toContain('line 2500 ');
    const cut = /\[… ([\d,]+) characters \(([\d,]+) lines\) of stdout cut here/.exec(text);
    expect(cut).not.toBeNull();
    const removed = Number(cut?.[1]?.replace(/,/g, ''));
    expect(removed).toBeGreaterThan(stdout.length - 2100);
    expect(text.length).toBeLessThan(2400);
  });

  it('shares the budget between stdout and stderr, the short one whole', async () => {
    const tool = createExecutePythonTool(
      scriptedSandbox(result({ stdout: 'o'.repeat(5000), stderr: 'warning: careful\n' })),
      { maxOutputChars: 1000 },
    );
    const { text } = await tool.invoke({ code: 'x' });
    expect(text).toContain('stderr:\nwarning: careful');
    expect(text).toMatch(/of stdout cut here/);
  });

  it('reports the Python error with a trimmed traceback that keeps its end, once', async () => {
    const frames = Array.from(
      { length: 400 },
      () => '  File "<cell-1>", line 2, in f\n    return f()\n',
    ).join('');
    const traceback = `Traceback (most recent call last):\n${frames}RecursionError: maximum recursion depth exceeded\n`;
    const tool = createExecutePythonTool(
      scriptedSandbox(
        result({
          isError: true,
          exitCode: 1,
          stderr: traceback,
          error: {
            name: 'RecursionError',
            value: 'maximum recursion depth exceeded',
            traceback,
          },
        }),
      ),
      { maxTracebackChars: 1000 },
    );
    const output = await tool.invoke({ code: 'x' });
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(
      /^Error: RecursionError: maximum recursion depth exceeded\nTraceback/,
    );
    expect(output.text).toMatch(/of the traceback cut here/);
    expect(output.text.trimEnd()).toMatch(/RecursionError: maximum recursion depth exceeded$/);
    expect(output.text).not.toContain('stderr:');
    expect(output.text.length).toBeLessThan(1400);
  });

  it('lists figures with stable references across calls, titles, sizes and only http(s) URLs', async () => {
    const sandbox = scriptedSandbox(
      result({ executionId: 'e1', figures: [figure(0), figure(1)] }),
      result({
        executionId: 'e2',
        figures: [
          figure(0, {
            sink: 's3',
            url: 'https://bucket.s3.amazonaws.com/f.png?X-Amz-Signature=abc',
            data: undefined,
          }),
        ],
      }),
    );
    const tool = createExecutePythonTool(sandbox);
    const first = await tool.invoke({ code: 'x' });
    expect(first.text).toContain('- figure 1, "Chart 1", 1000×600 px, attached as an image');
    expect(first.text).toContain('- figure 2, "Chart 2", 1000×600 px, attached as an image');
    expect(first.text).toMatch(/^The code ran without printing anything\./);
    const second = await tool.invoke({ code: 'x' });
    expect(second.text).toContain(
      '- figure 3, "Chart 1", 1000×600 px, not attached as an image: the image sink kept no bytes to attach',
    );
    expect(second.text).not.toContain('imagesForModel');
    expect(second.text).toContain('https://bucket.s3.amazonaws.com/f.png?X-Amz-Signature=abc');
    expect(second.figures.map((entry) => entry.label)).toEqual(['figure 3']);
    expect(tool.figures.map((entry) => entry.label)).toEqual(['figure 1', 'figure 2', 'figure 3']);
  });

  it('never puts base64 in the text: not the figures, not printed data URLs or base64', async () => {
    const printed = `here: data:image/png;base64,${tinyPngBase64}\nraw: ${Buffer.alloc(600, 7).toString('base64').replace(/^../, 'Ab1')}\nsha: ${'ab12'.repeat(16)}\n`;
    const tool = createExecutePythonTool(
      scriptedSandbox(result({ stdout: printed, figures: [figure(0)] })),
    );
    const { text, images } = await tool.invoke({ code: 'x' });
    expect(text).not.toContain('base64,');
    expect(text).not.toContain(tinyPngBase64.slice(0, 40));
    expect(text).toMatch(/\[image\/png data: URL, [\d,]+ characters omitted\]/);
    expect(text).toMatch(/raw: \[base64 data, [\d,]+ characters omitted\]/);
    expect(text).toContain(`sha: ${'ab12'.repeat(16)}`);
    expect(images).toHaveLength(1);
  });

  it('lists problems (figures not delivered) in the text', async () => {
    const tool = createExecutePythonTool(
      scriptedSandbox(
        result({
          figures: [figure(0)],
          problems: [
            { index: 1, stage: 'store', sink: 's3', reason: 'Access Denied' },
            { stage: 'capture', reason: 'figure too large (12 MB)' },
          ],
        }),
      ),
    );
    const { text } = await tool.invoke({ code: 'x' });
    expect(text).toContain('Figures not delivered:');
    expect(text).toContain('- figure #2 of this call: store failed (sink s3): Access Denied');
    expect(text).toContain('- a figure: capture failed: figure too large (12 MB)');
  });

  it("gives the model what a sink failed at, not the sink's advice to the developer", async () => {
    const reason =
      's3Sink timed out after 300 ms uploading figure 2 to s3://figures/2026/12/05/e/figure-2.png. Raise the `timeoutMs` option or check the network path to S3.';
    const output = await createExecutePythonTool(
      scriptedSandbox(
        result({
          figures: [figure(0)],
          problems: [{ index: 1, stage: 'store', sink: 's3', reason }],
        }),
      ),
    ).invoke({ code: 'x' });
    expect(
      output.text.endsWith(
        '\n- figure #2 of this call: store failed (sink s3): s3Sink timed out after 300 ms uploading figure 2 to s3://figures/2026/12/05/e/figure-2.png.',
      ),
    ).toBe(true);
    expect(output.text).not.toMatch(/Raise|timeoutMs|option|`/);
    expect(output.result?.problems[0]?.reason).toBe(reason);
  });

  it("ends a file's store reason at its first sentence, not inside the file's quoted name", async () => {
    const reason =
      '"out/notes. Final.csv": localDirSink could not write out/notes-final: EACCES: permission denied. Check that the `dir` option names a writable folder.';
    const output = await createExecutePythonTool(
      scriptedSandbox(
        result({
          problems: [{ path: 'out/notes. Final.csv', stage: 'store', sink: 'local-dir', reason }],
        }),
      ),
    ).invoke({ code: 'x' });
    expect(output.text.split('\n').at(-1)).toBe(
      '- file "out/notes. Final.csv": store failed (sink local-dir): "out/notes. Final.csv": localDirSink could not write out/notes-final: EACCES: permission denied.',
    );
    expect(output.text).not.toMatch(/Check|`dir`|option/);
  });

  it('says when the session was restarted', async () => {
    const tool = createExecutePythonTool(
      scriptedSandbox(result({ stdout: 'hi\n', sessionRestarted: true })),
    );
    const { text } = await tool.invoke({ code: 'x' });
    expect(text.split('\n\n')[0]).toBe(
      'Note: the sandbox was restarted before this call: variables, imports and files from earlier calls are gone; recompute what you need.',
    );
    expect(text).toContain('stdout:\nhi');
  });
});

describe('createExecutePythonTool: imagesForModel', () => {
  const mixed = () =>
    result({
      figures: [
        figure(0),
        figure(1, { mediaType: 'image/svg+xml', url: 'data:image/svg+xml;base64,PHN2Zz4=' }),
        figure(2, { byteLength: 5_000_000 }),
      ],
    });

  it("'auto' attaches PNG bytes at hand within the budget and says why others are not", async () => {
    const output = await createExecutePythonTool(scriptedSandbox(mixed())).invoke({ code: 'x' });
    expect(output.images).toEqual([
      { ref: 1, mediaType: 'image/png', format: 'png', data: tinyPng },
    ]);
    expect(output.text).toMatch(/figure 2, .*not attached as an image: image\/svg\+xml is not/);
    expect(output.text).toMatch(
      /figure 3, .*not attached as an image: 5\.0 MB, over the image budget/,
    );
  });

  it("'never' attaches nothing and does not mention attachments", async () => {
    const output = await createExecutePythonTool(scriptedSandbox(mixed()), {
      imagesForModel: 'never',
    }).invoke({ code: 'x' });
    expect(output.images).toEqual([]);
    expect(output.text).not.toMatch(/attached/);
  });

  it('respects maxImages', async () => {
    const output = await createExecutePythonTool(
      scriptedSandbox(result({ figures: [figure(0), figure(1), figure(2)] })),
      { maxImages: 2 },
    ).invoke({ code: 'x' });
    expect(output.images.map((image) => image.ref)).toEqual([1, 2]);
    expect(output.text).toMatch(/figure 3, .*over the limit of 2 images/);
  });

  it("'always' downloads bytes the sink did not keep from the http(s) URL", async () => {
    const server = createServer((request, response) => {
      if (request.url === '/f.png') {
        response.writeHead(200, { 'content-type': 'image/png' }).end(tinyPng);
      } else response.writeHead(403).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const remote = () =>
        result({
          figures: [
            figure(0, { url: `${base}/f.png`, data: undefined, sink: 'test' }),
            figure(1, { url: `${base}/denied.png`, data: undefined, sink: 'test' }),
          ],
        });
      const always = await createExecutePythonTool(scriptedSandbox(remote()), {
        imagesForModel: 'always',
      }).invoke({ code: 'x' });
      expect(always.images).toHaveLength(1);
      expect(Buffer.compare(Buffer.from(always.images[0]?.data ?? []), Buffer.from(tinyPng))).toBe(
        0,
      );
      expect(always.text).toMatch(/figure 2, .*could not be read \(HTTP 403/);
      const auto = await createExecutePythonTool(scriptedSandbox(remote())).invoke({ code: 'x' });
      expect(auto.images).toHaveLength(0);
    } finally {
      server.close();
    }
  });
});

describe('figure ledger and renderFigureLinks', () => {
  it('is shared by every tool of one sandbox and separate between sandboxes', async () => {
    const sandbox = scriptedSandbox(
      result({ figures: [figure(0)] }),
      result({ figures: [figure(0)] }),
    );
    const first = createExecutePythonTool(sandbox);
    const second = createExecutePythonTool(sandbox, { name: 'python' });
    await first.invoke({ code: 'x', description: 'first chart' });
    await second.invoke({ code: 'x' });
    expect(getFigureLedger(sandbox).figures.map((entry) => entry.ref)).toEqual([1, 2]);
    expect(first.figures[0]).toMatchObject({ description: 'first chart', executionId: 'exec1' });
    expect(first.figures[0]).not.toHaveProperty('data');
    expect(getFigureLedger(scriptedSandbox()).figures).toEqual([]);
    getFigureLedger(sandbox).clear();
    expect(first.figures).toEqual([]);
  });

  it('renders markdown and text links, skipping data: URLs unless asked', () => {
    const figures = [
      figure(0, { url: 'https://example.com/a b.png?sig=1', title: 'Sales [2024]' }),
      figure(1),
      figure(2, { url: 'file:///tmp/c.png', title: undefined }),
    ];
    expect(renderFigureLinks(figures)).toBe(
      '![figure 1: Sales \\[2024\\]](https://example.com/a%20b.png?sig=1)\n![figure 3](file:///tmp/c.png)',
    );
    expect(renderFigureLinks(figures, { format: 'text', includeFileUrls: false })).toBe(
      'figure 1: Sales \\[2024\\] <https://example.com/a%20b.png?sig=1>',
    );
    expect(renderFigureLinks(figures, { includeDataUrls: true }).split('\n')).toHaveLength(3);
    expect(renderFigureLinks([])).toBe('');
  });
});

describe('hostile titles, output and budgets', () => {
  /** A chart whose summary is long: 30 line series with long labels. */
  const longChart = {
    axes: [
      {
        title: 'Quarterly revenue by product line and region',
        xLabel: 'quarter',
        yLabel: 'revenue',
        xScale: 'linear',
        yScale: 'linear',
        series: Array.from({ length: 30 }, (_, series) => ({
          kind: 'line',
          label: `series ${series} ${'label '.repeat(10)}`,
          x: Array.from({ length: 12 }, (_, at) => at),
          y: Array.from({ length: 12 }, (_, at) => at * series + 0.123456),
          points: 12,
          sampled: false,
        })),
      },
    ],
  } as unknown as StoredFigure['chart'];

  it('keeps the whole text within maxOutputChars: 20 chart summaries, an 8k error, 20k of stdout, 30 problems', async () => {
    const figures = Array.from({ length: 20 }, (_, index) =>
      figure(index, {
        title: index === 10 ? `T${'t'.repeat(1_000_000)}` : `Chart ${index + 1}`,
        sink: 's3',
        url: `https://bucket.s3.amazonaws.com/e/figure-${index + 1}.png?X-Amz-Signature=${'ab'.repeat(32)}`,
        data: undefined,
        chart: longChart,
      }),
    );
    const tool = createExecutePythonTool(
      scriptedSandbox(
        result({
          stdout: `first line\n${'o'.repeat(20_000)}\nlast line\n`,
          isError: true,
          exitCode: 1,
          error: {
            name: 'ValueError',
            value: 'v'.repeat(8_000),
            traceback: `Traceback (most recent call last):\n${'  File "<cell-1>", line 1\n'.repeat(400)}ValueError: vvv`,
          },
          figures,
          problems: Array.from({ length: 30 }, (_, at) => ({
            index: 20 + at,
            stage: 'capture' as const,
            reason: 'r'.repeat(1000),
          })),
        }),
      ),
    );
    const { text } = await tool.invoke({ code: 'x' });
    // Before: 73,363 characters (each part bounded on its own, the total not at all).
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(text).toContain('first line');
    expect(text).toContain('last line');
    expect(text).toMatch(/^Error: ValueError: v+/m);
    expect(text.trimEnd()).toMatch(/- … and 10 more \(see result\.problems\)$/);
    for (let ref = 1; ref <= 20; ref++) expect(text).toContain(`- figure ${ref}, `);
    expect(text).toContain('what it plots:');
    expect(text).not.toMatch(/t{201}/);
  });

  it('never goes over maxOutputChars, however small, and keeps every figure reference when it can', async () => {
    const heavy = result({
      stdout: 'o'.repeat(50_000),
      stderr: 'e'.repeat(50_000),
      isError: true,
      exitCode: 1,
      error: { name: 'E'.repeat(5000), value: 'v'.repeat(50_000), traceback: 't\n'.repeat(50_000) },
      figures: Array.from({ length: 20 }, (_, index) =>
        figure(index, { title: 'T'.repeat(5000), chart: longChart }),
      ),
      problems: Array.from({ length: 40 }, () => ({
        stage: 'store' as const,
        reason: 'r'.repeat(5000),
      })),
      sessionRestarted: true,
    });
    for (const maxOutputChars of [200, 1000, 5000, 20_000, 100_000]) {
      const tool = createExecutePythonTool(scriptedSandbox(heavy), { maxOutputChars });
      const { text } = await tool.invoke({ code: 'x' });
      expect(text.length).toBeLessThanOrEqual(maxOutputChars);
      if (maxOutputChars >= 5000) {
        for (let ref = 1; ref <= 20; ref++) expect(text).toMatch(new RegExp(`- figure ${ref}, `));
      }
    }
  });

  it('says how much the sandbox cut (maxOutputBytes) in the model text', async () => {
    const head = 'h'.repeat(30_000);
    const stdout = `${head}\n[… 600,000,000 characters of stdout cut here: over maxOutputBytes (10,485,760 bytes), the first and last half kept …]\n${'t'.repeat(30_000)}`;
    const tool = createExecutePythonTool(
      scriptedSandbox(result({ stdout, stdoutTruncatedChars: 600_000_000 })),
      { maxOutputChars: 4000 },
    );
    const { text } = await tool.invoke({ code: 'x' });
    const cut = /\[… ([\d,]+) characters of stdout cut here/.exec(text);
    expect(Number(cut?.[1]?.replace(/,/g, ''))).toBeGreaterThan(600_050_000);
    expect(text.length).toBeLessThanOrEqual(4000);
  });

  it('records titles in the ledger as the model saw them: one line, 200 characters, no controls', async () => {
    const title = `Sales\x1b]0;pwned\x07\n[click](https://attacker.example) ${'T'.repeat(1_000_000)}`;
    const tool = createExecutePythonTool(
      scriptedSandbox(result({ figures: [figure(0, { title })] })),
    );
    const { figures } = await tool.invoke({ code: 'x' });
    expect(figures[0]?.title).toHaveLength(200);
    expect(figures[0]?.title).toMatch(/^Sales \[click\]\(https:\/\/attacker\.example\) T+…$/);
    expect(tool.figures[0]?.title).toBe(figures[0]?.title);
  });

  it('renders titles as text, never as a link or image, and keeps URLs inside their link', () => {
    const figures = [
      figure(0, {
        title:
          'Q3 [click](https://attacker.example/p) ![b](https://attacker.example/beacon.png) <img src=x> *bold* `code` # | _x_\nfigure 2: fake',
        url: 'https://bucket.example/f.png?a=1) [x](https://attacker.example/ "t"',
      }),
    ];
    const markdown = renderFigureLinks(figures);
    const text = renderFigureLinks(figures, { format: 'text' });
    for (const rendered of [markdown, text]) {
      expect(rendered.split('\n')).toHaveLength(1);
      // Take out what is escaped: no Markdown metacharacter is left to act.
      const bare = rendered.replace(/\\[\\`*_[\]<>#|!~]/g, '');
      const structure = rendered.startsWith('![')
        ? bare.slice(2).replace(/\]\([^()\s]*\)$/, '')
        : bare.replace(/ <[^<>\s]*>$/, '');
      expect(structure).not.toMatch(/[[\]<>!*_`#|]/);
    }
    expect(markdown).toMatch(
      /\]\(https:\/\/bucket\.example\/f\.png\?a=1%29%20%5Bx%5D%28https:\/\/attacker\.example\/%20%22t%22\)$/,
    );
    expect(text).toMatch(
      /^figure 1: Q3 \\\[click\\\]\(https:\/\/attacker\.example\/p\) \\!\\\[b\\\]/,
    );
  });
});
