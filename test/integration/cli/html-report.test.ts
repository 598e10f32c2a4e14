import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { pngSize } from '../../support/png.js';
import {
  type S3TestServer,
  s3ServerEnvironment,
  startS3TestServer,
} from '../../support/s3-server.js';

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sandplot-html-'));
}

/** The decoded bytes of every inline image in a report. */
function inlineImages(html: string): Buffer[] {
  return [...html.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map(
    ([, payload]) => Buffer.from(payload as string, 'base64'),
  );
}

describe('sandplot run --html', () => {
  it('writes a self-contained report with the code, output and the figure the sink wrote', async () => {
    const cwd = await scratch();
    await writeFile(
      join(cwd, 'plot.py'),
      'import matplotlib.pyplot as plt\nprint("<b>hello</b>")\nplt.plot([1, 3, 2])\nplt.title("Line")\n',
    );
    await mkdir(join(cwd, 'reports'));
    const run = await runCli(
      ['run', 'plot.py', '--sink', 'dir:out', '--html', 'reports/run.html'],
      {
        cwd,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\nreport: reports\/run\.html {2}[\d,]+ bytes\n$/);

    const html = await readFile(join(cwd, 'reports', 'run.html'), 'utf8');
    expect(html).toContain('<title>sandplot run plot.py</title>');
    expect(html).toContain('print(&quot;&lt;b&gt;hello&lt;/b&gt;&quot;)');
    expect(html).toContain('<pre>&lt;b&gt;hello&lt;/b&gt;\n</pre>');
    expect(html).toContain('<h3>Figure 1: Line</h3>');
    const [figureFile] = await readdir(join(cwd, 'out'));
    const images = inlineImages(html);
    expect(images).toHaveLength(1);
    expect(
      Buffer.compare(images[0] as Buffer, await readFile(join(cwd, 'out', figureFile as string))),
    ).toBe(0);
    // Only the report itself: its temporary file was renamed into place.
    expect(await readdir(join(cwd, 'reports'))).toEqual(['run.html']);
  });

  it('reports the Python error, exits 1, and keeps stdout pure JSON with --json', async () => {
    const cwd = await scratch();
    const run = await runCli(['run', '-', '--json', '--sink', 'base64', '--html', 'error.html'], {
      cwd,
      input: 'print("start")\nraise ValueError("bad <input>")\n',
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ isError: true, stdout: 'start\n' });
    const html = await readFile(join(cwd, 'error.html'), 'utf8');
    expect(html).toContain('<title>sandplot run (standard input)</title>');
    expect(html).toContain('Raised ValueError');
    expect(html).toContain('<p>ValueError: bad &lt;input&gt;</p>');
    expect(html).toMatch(/line 2/);
  });

  it('refuses a report path that cannot be written before running any code (exit 2)', async () => {
    const cwd = await scratch();
    const missingFolder = await runCli(['run', '-', '--html', 'no/such/folder/report.html'], {
      cwd,
      input: 'print("ran")\n',
    });
    expect(missingFolder.code).toBe(2);
    expect(missingFolder.stdout).toBe('');
    expect(missingFolder.stderr).toMatch(
      /--html "no\/such\/folder\/report\.html" cannot be written: .*ENOENT.*Check that the folder exists and is writable\. \[CONFIG_INVALID\]/,
    );
    const folder = await runCli(['run', '-', '--html', '.'], { cwd, input: 'print("ran")\n' });
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/--html "\." is a folder: name a file/);
  });
});

describe('sandplot run --html with --sink s3://', () => {
  let s3: S3TestServer;
  beforeAll(async () => {
    s3 = await startS3TestServer({ buckets: ['report-figures'] });
  });
  afterAll(() => s3?.close());

  it('fetches the uploaded figure once and embeds it: the report works offline', async () => {
    const cwd = await scratch();
    const run = await runCli(
      [
        'run',
        '-',
        '--sink',
        's3://report-figures/runs',
        '--s3-endpoint',
        s3.endpoint,
        '--html',
        'r.html',
      ],
      {
        cwd,
        input: 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title("Line")\n',
        env: s3ServerEnvironment(s3),
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const html = await readFile(join(cwd, 'r.html'), 'utf8');
    const [image] = inlineImages(html);
    // 640×480 px cropped to what is drawn (capture.tightBoundingBox).
    const size = pngSize(image as Buffer);
    expect(size.width).toBeGreaterThan(400);
    expect(size.width).toBeLessThanOrEqual(640);
    expect(html).toContain('s3 sink, fetched');
    expect(html).not.toContain('<a href=');
  });
});

describe('sandplot demo --html', () => {
  it('writes the sales analysis report with both figures inline', async () => {
    const cwd = await scratch();
    const run = await runCli(['demo', '--html', 'report.html'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\nreport: report\.html {2}[\d,]+ bytes\n$/);
    const html = await readFile(join(cwd, 'report.html'), 'utf8');
    expect(html).toContain('<title>sandplot demo: sales analysis</title>');
    expect(html).toContain('Product A: 100.0%');
    expect(html).toContain('<h3>Figure 1: Sales trends</h3>');
    expect(inlineImages(html)).toHaveLength(2);
  });
});
