import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertBuildIsCurrent } from '../../support/cli.js';
import { isSalesFigureSize, pngSize } from '../../support/png.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Each adapter example has an --offline mode: a scripted model stands in for Claude, the sandbox is
 * local. The scripted model answers from what the tool gave it (the growth rates from the text, the
 * number of images it received), so the answer proves both reached the model; the links come from
 * the figure ledger.
 */
describe.each([
  'examples/converse-loop.ts',
  'examples/strands-data-analyst.ts',
  'examples/langchain-agent.ts',
  'examples/ai-sdk-agent.ts',
])('%s --offline', (example) => {
  it('runs the sales analysis through execute_python and appends the figure links', async () => {
    assertBuildIsCurrent();
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-adapter-example-'));
    const { stdout } = await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, example), '--offline'],
      { cwd, timeout: 90_000 },
    );
    expect(stdout).toContain(
      'Overall growth from the first to the last period:\n  Product A: 100.0%\n  Product B: 37.5%\n  Product C: 40.0%\n',
    );
    expect(stdout).toContain('I looked at 2 charts');
    const links = [...stdout.matchAll(/^!\[(figure \d: [^\]]+)\]\(file:\/\/(\S+)\)$/gm)];
    expect(links.map((link) => link[1])).toEqual([
      'figure 1: Sales trends',
      'figure 2: Period-over-period growth (%)',
    ]);
    for (const link of links) {
      const file = await readFile(decodeURIComponent(link[2] as string));
      expect(isSalesFigureSize(pngSize(file))).toBe(true);
    }
  }, 120_000);
});
