import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { salesAnalysisCode, salesSeries } from '../../../src/cli/sales-analysis.js';
import { renderHtmlReport } from '../../../src/report/html-report.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { localDirSink } from '../../../src/sinks/local-dir.js';
import type { ExecutionResult, StoredFigure } from '../../../src/types/index.js';
import { launchChromium } from '../../support/chromium.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };
import { pngSize } from '../../support/png.js';

/**
 * What the page functions below use of the browser's globals. They run in chromium, not in
 * Node, and the tests are type-checked without the DOM library.
 */
interface PageGlobals {
  __pwned?: string;
  __violations: string[];
  document: {
    scripts: { length: number };
    images: Iterable<{
      naturalWidth: number;
      naturalHeight: number;
      complete: boolean;
      decode(): Promise<void>;
    }>;
    querySelectorAll(selector: string): { length: number };
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: { violatedDirective: string; blockedURI: string }) => void,
    ): void;
  };
}

let browser: Browser;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sandplot-report-browser-'));
  const launched = await launchChromium();
  browser = launched.browser;
  console.info(`chromium ${browser.version()} launched in ${Math.round(launched.launchMs)} ms`);
});

afterAll(async () => {
  await browser?.close();
});

interface OpenedReport {
  page: Page;
  /** Console errors and page errors: a CSP refusal shows up here too. */
  errors: string[];
  /** `securitypolicyviolation` events, recorded by a script the page's CSP does not govern. */
  violations: () => Promise<string[]>;
}

/** Writes the report to a file and opens it over file://, as a user double-clicking it would. */
async function openReport(html: string, name: string): Promise<OpenedReport> {
  const file = join(scratch, name);
  await writeFile(file, html);
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  await page.addInitScript(() => {
    const globals = globalThis as unknown as PageGlobals;
    const seen: string[] = [];
    globals.__violations = seen;
    globals.document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return {
    page,
    errors,
    violations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__violations),
  };
}

/** naturalWidth/naturalHeight of every image, once each has finished loading (or failed). */
function imageSizes(
  page: Page,
): Promise<{ naturalWidth: number; naturalHeight: number; complete: boolean }[]> {
  return page.evaluate(async () => {
    const images = [...(globalThis as unknown as PageGlobals).document.images];
    await Promise.all(images.map((image) => image.decode().catch(() => {})));
    return images.map((image) => ({
      naturalWidth: image.naturalWidth,
      naturalHeight: image.naturalHeight,
      complete: image.complete,
    }));
  });
}

describe('HTML report in a real browser (Debian chromium, headless)', () => {
  it('shows the sales analysis: every figure renders at its size, the growth rates are visible, no errors', async () => {
    await using sandbox = new CodeSandbox({
      backend: localBackend(),
      imageSink: localDirSink({ dir: join(scratch, 'figures') }),
    });
    await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(salesSeries) }]);
    const result = await sandbox.executePython(salesAnalysisCode);
    expect(result.isError, result.stderr).toBe(false);
    expect(result.figures).toHaveLength(2);

    const renderStarted = performance.now();
    const html = await renderHtmlReport(result, {
      code: salesAnalysisCode,
      title: 'Sales analysis',
    });
    const renderMs = performance.now() - renderStarted;

    const loadStarted = performance.now();
    const { page, errors, violations } = await openReport(html, 'sales.html');
    const sizes = await imageSizes(page);
    const loadMs = performance.now() - loadStarted;

    expect(sizes).toHaveLength(result.figures.length);
    for (const [position, size] of sizes.entries()) {
      const figure = result.figures[position] as StoredFigure;
      expect(size.complete).toBe(true);
      expect(size.naturalWidth).toBeGreaterThan(0);
      expect(size.naturalWidth).toBe(figure.width);
      expect(size.naturalHeight).toBe(figure.height);
    }
    await expect(
      page.getByRole('heading', { name: 'Figure 1: Sales trends' }).isVisible(),
    ).resolves.toBe(true);
    for (const [product, growth] of Object.entries(sales.expected.overall_growth_pct)) {
      const line = `${product}: ${growth.toFixed(1)}%`;
      await expect(page.getByText(line, { exact: false }).first().isVisible()).resolves.toBe(true);
    }
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.scripts.length),
    ).toBe(0);

    const screenshotPath = join(scratch, 'sales.png');
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const screenshot = await readFile(screenshotPath);
    expect(screenshot.byteLength).toBeGreaterThan(0);
    const { width, height } = pngSize(screenshot);
    expect(width).toBe(1100);
    expect(height).toBeGreaterThan(900);
    console.info(
      `report ${html.length.toLocaleString('en-US')} chars, rendered in ${renderMs.toFixed(1)} ms, loaded and decoded in ${Math.round(loadMs)} ms; screenshot ${screenshot.byteLength.toLocaleString('en-US')} bytes, ${width}×${height} px`,
    );
    await page.close();
  });

  it('runs nothing the sandbox printed or drew: hostile stdout, titles and an SVG with a script stay inert', async () => {
    await using sandbox = new CodeSandbox({ backend: localBackend(), capture: { format: 'svg' } });
    const hostile = await sandbox.executePython(`import matplotlib.pyplot as plt
print("<script>window.__pwned = 'stdout'</script>")
print('</pre><img src=x onerror="window.__pwned = \\'img\\'">')
plt.plot([1, 2, 3])
plt.title("<script>window.__pwned = 'title'</script>")
raise RuntimeError("<script>window.__pwned = 'error'</script>")
`);
    expect(hostile.isError).toBe(true);
    expect(hostile.figures).toHaveLength(1);

    const scriptedSvg = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" onload="window.__pwned = 'onload'"><script>window.__pwned = 'svg'</script><rect width="120" height="80" fill="teal"/></svg>`,
    );
    const scripted: StoredFigure = {
      index: 1,
      mediaType: 'image/svg+xml',
      width: 120,
      height: 80,
      title: 'svg with a script',
      sink: 'base64',
      url: `data:image/svg+xml;base64,${scriptedSvg.toString('base64')}`,
      byteLength: scriptedSvg.byteLength,
      data: new Uint8Array(scriptedSvg),
    };
    const result: ExecutionResult = { ...hostile, figures: [...hostile.figures, scripted] };
    const { page, errors, violations } = await openReport(
      await renderHtmlReport(result, { code: '<script>window.__pwned = "code"</script>' }),
      'hostile.html',
    );
    const sizes = await imageSizes(page);
    // matplotlib sizes an SVG in points (72 per inch) from pixels at the capture dpi (100), and a
    // browser reads points at 96 CSS pixels per inch: 640 px at 100 dpi is 614 CSS pixels.
    const svgWidth = hostile.figures[0]?.width as number;
    expect(sizes[0]?.naturalWidth).toBe(Math.floor((svgWidth * 96) / 100));
    expect(sizes[1]?.naturalWidth).toBe(120);

    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned),
    ).toBeUndefined();
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.scripts.length),
    ).toBe(0);
    expect(
      await page.evaluate(
        () => (globalThis as unknown as PageGlobals).document.querySelectorAll('svg').length,
      ),
    ).toBe(0);
    await expect(
      page.getByText("<script>window.__pwned = 'stdout'</script>").isVisible(),
    ).resolves.toBe(true);
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      "RuntimeError: <script>window.__pwned = 'error'</script>",
    );
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.close();
  });
});
