import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../../src/report/html-report.js';
import type { ExecutionResult, FigureChart, StoredFigure } from '../../../src/types/index.js';
import { tinyPng } from '../../support/png.js';
import { sandplotRejection } from '../../support/rejection.js';

const hostile = '<script>alert(1)</script></pre><img src=x onerror="alert(2)">\'&';
const escapedHostile =
  '&lt;script&gt;alert(1)&lt;/script&gt;&lt;/pre&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;&#39;&amp;';

function result(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    executionId: '0123456789abcdef0123456789abcdef',
    stdout: 'hello\n',
    stderr: '',
    exitCode: 0,
    isError: false,
    durationMs: 1234.5,
    displays: [],
    files: [],
    figures: [],
    problems: [],
    ...overrides,
  };
}

function pngFigure(overrides: Partial<StoredFigure> = {}): StoredFigure {
  return {
    index: 0,
    mediaType: 'image/png',
    width: 1,
    height: 1,
    title: 'Dot',
    sink: 'base64',
    url: `data:image/png;base64,${Buffer.from(tinyPng).toString('base64')}`,
    byteLength: tinyPng.byteLength,
    data: tinyPng,
    ...overrides,
  };
}

/** A stored figure whose sink kept no bytes at hand (local-dir, S3). */
function withoutBytes(figure: StoredFigure): StoredFigure {
  const { data: _data, ...rest } = figure;
  return rest;
}

function withChart(figure: StoredFigure, chart: FigureChart): StoredFigure {
  return { ...figure, chart };
}

/** The `src` of every `<img>`, decoded: media type and bytes. */
function images(html: string): { mediaType: string; bytes: Buffer }[] {
  return [...html.matchAll(/<img src="data:([^;"]+);base64,([A-Za-z0-9+/=]*)"/g)].map(
    ([, mediaType, payload]) => ({
      mediaType: mediaType as string,
      bytes: Buffer.from(payload as string, 'base64'),
    }),
  );
}

/** Text built mostly from the characters and words that could turn into markup. */
const markupPieces = fc.oneof(
  fc.constantFrom(
    '<',
    '>',
    '&',
    '"',
    "'",
    '/',
    '=',
    ' ',
    '\n',
    '<!--',
    ']]>',
    'script',
    'pre',
    'svg',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

function count(html: string, text: string): number {
  return html.split(text).length - 1;
}

const salesChart: FigureChart = {
  axes: [
    {
      title: 'Sales trends',
      xLabel: 'Period',
      yLabel: 'Units sold',
      xScale: 'linear',
      yScale: 'log',
      series: [
        {
          kind: 'line',
          label: 'Product A',
          x: ['P1', 'P2'],
          y: [100, 120],
          points: 2,
          sampled: false,
        },
        {
          kind: 'line',
          label: 'Product B',
          x: ['P1', 'P2'],
          y: [80, 85.00000000000001],
          points: 2,
          sampled: false,
        },
        {
          kind: 'line',
          x: [0, 50, 99],
          y: [1, 2, 3],
          points: 100,
          sampled: true,
          yMin: -4,
          yMax: 9.5,
          nonFinite: 2,
        },
      ],
    },
    {
      xScale: 'linear',
      yScale: 'linear',
      series: [
        {
          kind: 'bar',
          label: 'A',
          orientation: 'vertical',
          bars: [
            { category: 'P2', value: 20 },
            { category: 'P3', value: -20.8 },
          ],
          count: 2,
          sampled: false,
        },
        {
          kind: 'bar',
          label: 'B',
          orientation: 'vertical',
          bars: [
            { category: 'P2', value: 6.2 },
            { category: 'P3', value: 5.9 },
          ],
          count: 2,
          sampled: false,
        },
        { kind: 'pie', wedges: [{ label: 'yes', fraction: 0.25 }, { fraction: 0.75 }] },
        { kind: 'scatter', label: 'dots', x: [1.5], y: [2.5], points: 1, sampled: false },
      ],
      omittedSeries: 3,
    },
  ],
  omittedAxes: 2,
  truncated: true,
};

describe('renderHtmlReport', () => {
  it('writes a complete document with a strict Content-Security-Policy matching its one stylesheet', async () => {
    const html = await renderHtmlReport(result());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(policy).toBeDefined();
    const directives = (policy as string).replaceAll('&#39;', "'").split('; ');
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain('img-src data:');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] as string;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(directives).toContain(`style-src 'sha256-${hash}'`);
    expect(count(html, '<style')).toBe(1);
    expect(html).not.toMatch(
      /<script|<link|<iframe|<object|<embed|\sstyle=|\son[a-z]+=|https?:\/\//i,
    );
    // The CSP meta comes before anything that loads or styles.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
  });

  it('shows the header facts, the code and the output', async () => {
    const html = await renderHtmlReport(result({ stdout: 'Product A: 100.0%\n' }), {
      code: 'print(1)\n',
      title: 'My run',
      generatedAt: new Date('2025-01-02T03:04:05Z'),
    });
    expect(html).toContain('<title>My run</title>');
    expect(html).toContain('<h1>My run</h1>');
    expect(html).toContain('0123456789abcdef0123456789abcdef');
    expect(html).toContain('1.23 s');
    expect(html).toContain('2025-01-02T03:04:05.000Z');
    expect(html).toContain('Ran without error');
    expect(html).toContain('<pre>print(1)\n</pre>');
    expect(html).toContain('<pre>Product A: 100.0%\n</pre>');
    expect(html).not.toContain('<h2>Standard error</h2>');
    expect(html).not.toContain('<h2>Error</h2>');
    expect(html).toContain('No figures.');
  });

  it('shows displays where the cell made them, DataFrames as tables, all escaped', async () => {
    const html = await renderHtmlReport(
      result({
        stdout: 'before\nafter\n',
        displays: [
          {
            source: 'display',
            text: hostile,
            position: 7,
            table: {
              columns: ['units', hostile],
              rows: [
                [3, null],
                [4, 'x'],
              ],
              rowCount: 9,
              columnCount: 2,
              index: ['north', 'south'],
            },
          },
          { source: 'value', text: `<b>${hostile}</b>`, position: 13 },
        ],
      }),
    );
    const output = html.slice(
      html.indexOf('<h2>Output</h2>'),
      html.indexOf('</section>', html.indexOf('<h2>Output</h2>')),
    );
    expect(output.indexOf('before')).toBeLessThan(output.indexOf('<table>'));
    expect(output.indexOf('<table>')).toBeLessThan(output.indexOf('after'));
    expect(output).toContain('<caption>2 of 9 rows, 2 of 2 columns</caption>');
    expect(output).toContain(
      '<tr><th>north</th><td>3</td><td><span class="scale">NaN</span></td></tr>',
    );
    expect(output).toContain(`<th>${escapedHostile}</th>`);
    expect(output).toContain(`<pre>&lt;b&gt;${escapedHostile}&lt;/b&gt;</pre>`);
    expect(output).not.toContain('<script>');
  });

  it('escapes hostile code, stdout, stderr, titles, error text and problem reasons', async () => {
    const html = await renderHtmlReport(
      result({
        stdout: hostile,
        stderr: hostile,
        isError: true,
        exitCode: 1,
        error: { name: hostile, value: hostile, traceback: hostile },
        executionId: hostile,
        figures: [pngFigure({ title: hostile, sink: hostile })],
        problems: [{ index: 1, stage: 'store', sink: hostile, reason: hostile }],
      }),
      { code: hostile, title: hostile },
    );
    expect(html).not.toMatch(/<script|onerror="|<img src=x/i);
    expect(count(html, escapedHostile)).toBeGreaterThanOrEqual(8);
    // Every <pre> the report opens is closed by the report, not by the output.
    expect(count(html, '<pre')).toBe(count(html, '</pre>'));
    expect(count(html, '<img ')).toBe(1);
  });

  it('escapes anything in every text field: the markup does not change with the text', async () => {
    const render = (text: string) =>
      renderHtmlReport(
        result({
          stdout: text,
          stderr: text,
          isError: true,
          error: { name: text, value: text, traceback: text },
          figures: [
            withChart(pngFigure({ title: text }), {
              title: text,
              truncated: false,
              axes: [
                {
                  title: text,
                  xLabel: text,
                  yLabel: text,
                  xScale: text,
                  yScale: 'linear',
                  series: [
                    { kind: 'line', label: text, x: [text], y: [1], points: 1, sampled: false },
                    { kind: 'pie', wedges: [{ label: text, fraction: 1 }] },
                  ],
                },
              ],
            }),
          ],
          problems: [{ stage: 'parse', reason: text }],
        }),
        { code: text, title: text, generatedAt: new Date(0) },
      );
    const baseline = await render('plain');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: markupPieces, minLength: 1 }), async (arbitrary) => {
        const html = await render(`x${arbitrary}`);
        expect(count(html, '<')).toBe(count(baseline, '<'));
        expect(count(html, '>')).toBe(count(baseline, '>'));
        expect(count(html, '"')).toBe(count(baseline, '"'));
      }),
      { numRuns: 200 },
    );
  });

  it('embeds an SVG with a script only as an <img> data URL, never as inline <svg>', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>',
    );
    const html = await renderHtmlReport(
      result({
        figures: [
          pngFigure({
            mediaType: 'image/svg+xml',
            data: new Uint8Array(svg),
            byteLength: svg.byteLength,
            url: 'data:image/svg+xml;base64,AAAA',
            width: 10,
            height: 10,
          }),
        ],
      }),
    );
    expect(html).not.toMatch(/<svg|<script/i);
    const [image] = images(html);
    expect(image?.mediaType).toBe('image/svg+xml');
    expect(Buffer.compare(image?.bytes as Buffer, svg)).toBe(0);
    expect(html).toContain('width="10" height="10"');
  });

  it('renders the Python error apart, with the traceback shown once', async () => {
    const traceback =
      'Traceback (most recent call last):\n  File "<cell-1>", line 2, in <module>\nValueError: bad input\n';
    const html = await renderHtmlReport(
      result({
        isError: true,
        exitCode: 1,
        stderr: `a warning\n${traceback}`,
        error: { name: 'ValueError', value: 'bad input', traceback },
      }),
    );
    expect(html).toContain('Raised ValueError');
    expect(html).toContain('<section class="error" role="alert">');
    expect(html).toContain('<p>ValueError: bad input</p>');
    expect(html).toContain('<h2>Standard error</h2>');
    expect(html).toContain('<pre>a warning\n</pre>');
    expect(count(html, 'File &quot;&lt;cell-1&gt;&quot;, line 2')).toBe(1);
  });

  it('names timeouts and crashes in the status', async () => {
    const timedOut = await renderHtmlReport(
      result({
        isError: true,
        error: { name: 'TimeoutError', value: 'ran 500 ms', traceback: '' },
      }),
    );
    expect(timedOut).toContain('Timed out');
    expect(timedOut).not.toContain('class="traceback"');
    const crashed = await renderHtmlReport(
      result({
        isError: true,
        sessionRestarted: true,
        error: { name: 'SandboxCrashed', value: 'killed', traceback: '' },
      }),
    );
    expect(crashed).toContain('Sandbox crashed');
    expect(crashed).toContain('variables from earlier calls were lost');
  });

  it('lists figure problems with stage, sink and reason', async () => {
    const html = await renderHtmlReport(
      result({
        problems: [
          { index: 2, stage: 'store', sink: 's3', reason: 'Access Denied' },
          { stage: 'parse', reason: 'bad marker' },
        ],
      }),
    );
    expect(html).toContain('<h2>Figure problems</h2>');
    expect(html).toContain(
      '<tr><td>figure 3</td><td>store</td><td>s3</td><td>Access Denied</td></tr>',
    );
    expect(html).toContain('<tr><td>a figure</td><td>parse</td><td></td><td>bad marker</td></tr>');
    expect(html).toMatch(/<dt>Figure problems<\/dt><dd><strong>2<\/strong><\/dd>/);
  });

  it('shows each figure with its title, pixel size, media type and bytes inline', async () => {
    const html = await renderHtmlReport(
      result({ figures: [pngFigure({ index: 0, title: 'Sales trends', width: 1, height: 1 })] }),
    );
    expect(html).toContain('<h3>Figure 1: Sales trends</h3>');
    expect(html).toContain(`PNG · 1 × 1 px · ${tinyPng.byteLength} bytes · base64 sink, in memory`);
    const [image] = images(html);
    expect(image?.mediaType).toBe('image/png');
    expect(Buffer.compare(image?.bytes as Buffer, Buffer.from(tinyPng))).toBe(0);
    expect(html).toContain('alt="Figure 1: Sales trends"');
  });

  it('reads figures a sink wrote to files, and says why when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandplot-report-'));
    const path = join(dir, 'figure-1.png');
    await writeFile(path, tinyPng);
    const onDisk = withoutBytes(
      pngFigure({ sink: 'local-dir', url: pathToFileURL(path).href, path }),
    );
    const { path: _path, ...byUrlOnly } = { ...onDisk, index: 1 };
    const missing = { ...onDisk, index: 2, path: join(dir, 'gone.png'), url: 'file:///nowhere' };
    const changed = { ...onDisk, index: 3, byteLength: 5 };
    const html = await renderHtmlReport(result({ figures: [onDisk, byUrlOnly, missing, changed] }));
    const embedded = images(html);
    expect(embedded).toHaveLength(2);
    for (const image of embedded) expect(Buffer.compare(image.bytes, Buffer.from(tinyPng))).toBe(0);
    expect(html).toContain('local-dir sink, file figure-1.png');
    expect(html).toMatch(/Not shown: could not read [^<]*gone\.png: ENOENT/);
    expect(html).toMatch(/has \d+ bytes, but the stored figure had 5; the file changed since/);
  });

  it('embeds a figure from its data: URL when the sink kept no bytes, and refuses other media types', async () => {
    const html = await renderHtmlReport(
      result({
        figures: [
          withoutBytes(pngFigure()),
          withoutBytes(pngFigure({ index: 1, url: 'data:text/html;base64,PHNjcmlwdD4=' })),
          withoutBytes(pngFigure({ index: 2, url: 'javascript:alert(1)' })),
          { ...pngFigure({ index: 3 }), mediaType: 'text/html' as 'image/png' },
        ],
      }),
    );
    expect(images(html).map((image) => image.mediaType)).toEqual(['image/png']);
    expect(html).not.toContain('javascript:');
    expect(html).toContain('left neither the bytes, a file nor an http(s) URL');
    expect(html).toContain('text/html is not an image type the report embeds');
  });

  describe('figures behind http(s) URLs', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url === '/figure.png') {
          response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(tinyPng));
        } else {
          response.writeHead(403).end('denied');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('links them by default, with the expiry, and embeds them with remoteFigures: inline', async () => {
      const remote = withoutBytes(
        pngFigure({
          sink: 's3',
          url: `${base}/figure.png`,
          expiresAt: new Date('2030-01-01T00:00:00Z'),
        }),
      );
      const denied = { ...remote, index: 1, url: `${base}/private.png` };
      const linked = await renderHtmlReport(result({ figures: [remote] }));
      expect(images(linked)).toHaveLength(0);
      expect(linked).toContain(`<a href="${base}/figure.png" rel="noopener noreferrer">`);
      expect(linked).toContain('2030-01-01T00:00:00.000Z');

      const inlined = await renderHtmlReport(result({ figures: [remote, denied] }), {
        remoteFigures: 'inline',
      });
      expect(images(inlined)).toHaveLength(1);
      expect(inlined).toContain('s3 sink, fetched');
      expect(inlined).toContain('Could not fetch it to embed (HTTP 403)');
      expect(inlined).toContain(`<a href="${base}/private.png"`);
    });
  });

  it('renders chart data: axes, shared-x line tables, bars, pie shares, scatter and what was left out', async () => {
    const html = await renderHtmlReport(result({ figures: [withChart(pngFigure(), salesChart)] }));
    expect(html).toContain('<h4>Chart data</h4>');
    expect(html).toContain('<h5>Axes 1: Sales trends</h5>');
    expect(html).toMatch(
      /<dt>x axis<\/dt><dd><strong>Period<\/strong> <span class="scale">\(linear scale\)/,
    );
    expect(html).toMatch(
      /<dt>y axis<\/dt><dd><strong>Units sold<\/strong> <span class="scale">\(log scale\)/,
    );
    // Product A and B share their x values: one table, one column each.
    expect(html).toContain(
      '<caption>Lines: Product A, Product B</caption><thead><tr><th scope="col">Period</th><th scope="col">Product A</th><th scope="col">Product B</th></tr></thead>',
    );
    expect(html).toContain('<tr><th scope="row">P2</th><td>120</td><td>85</td></tr>');
    expect(html).toContain('<caption>Line: series 3</caption>');
    expect(html).toContain(
      'series 3: a sample of 3 of 100 points, evenly spaced, first and last kept; y over all points from -4 to 9.5; 2 left out as NaN or infinite.',
    );
    expect(html).toContain('<caption>Bars: A, B</caption>');
    expect(html).toContain('<tr><th scope="row">P3</th><td>-20.8</td><td>5.9</td></tr>');
    expect(html).toContain('<tr><th scope="row">yes</th><td>25 %</td></tr>');
    expect(html).toContain('<tr><th scope="row">wedge 2</th><td>75 %</td></tr>');
    expect(html).toContain('<caption>Scatter: dots</caption>');
    expect(html).toContain('3 more series on these axes were left out');
    expect(html).toContain('2 more axes were left out; some of the data was sampled or left out');
    expect(html).not.toContain('No chart data was read');
  });

  it('says so when a figure has no chart data, with the reason when capture gave one', async () => {
    const html = await renderHtmlReport(
      result({
        figures: [pngFigure(), pngFigure({ index: 1, chartProblem: 'too <large>' })],
      }),
    );
    expect(html).toContain('No chart data was read from this figure.');
    expect(html).toContain('No chart data: too &lt;large&gt;');
  });

  it('rejects something that is not an ExecutionResult with INVALID_INPUT', async () => {
    const error = await sandplotRejection(renderHtmlReport({} as ExecutionResult));
    expect(error.code).toBe('INVALID_INPUT');
  });
});
