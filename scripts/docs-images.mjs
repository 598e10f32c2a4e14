#!/usr/bin/env node
// Regenerates the pictures in docs/: the demo's sales-trend figure (docs/images/demo-figure.png)
// and a screenshot of the demo's HTML report (docs/images/report.png). Runs the built CLI as a
// user would (`sandplot demo --html`), then opens the report in Debian's chromium, headless.
// Usage: npm run docs:images (builds first and checks that chromium is installed).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const images = join(root, 'docs', 'images');
const scratch = mkdtempSync(join(tmpdir(), 'sandplot-docs-images-'));

function log(message) {
  process.stderr.write(`docs-images: ${message}\n`);
}

try {
  const demo = spawnSync(
    process.execPath,
    [join(root, 'dist', 'cli', 'index.js'), 'demo', '--out', 'figures', '--html', 'report.html'],
    { cwd: scratch, encoding: 'utf8' },
  );
  if (demo.status !== 0) {
    throw new Error(`sandplot demo failed (exit ${demo.status}):\n${demo.stdout}${demo.stderr}`);
  }
  mkdirSync(images, { recursive: true });
  // The demo's first figure is the sales trends (file names end in -figure-<n>.png, n counting from 1).
  const trend = readdirSync(join(scratch, 'figures')).find((name) =>
    name.endsWith('-figure-1.png'),
  );
  if (!trend) throw new Error('the demo wrote no -figure-1.png');
  copyFileSync(join(scratch, 'figures', trend), join(images, 'demo-figure.png'));

  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(pathToFileURL(join(scratch, 'report.html')).href);
    await page.screenshot({ path: join(images, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  for (const name of ['demo-figure.png', 'report.png']) {
    log(
      `wrote docs/images/${name} (${statSync(join(images, name)).size.toLocaleString('en-US')} bytes)`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
