import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };
import { isSalesFigureSize, pngSize } from '../../support/png.js';

describe('sandplot demo', () => {
  it('prints the expected growth rates and writes the sales figures as PNG files', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-demo-'));
    const run = await runCli(['demo'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    for (const [product, growth] of Object.entries(sales.expected.overall_growth_pct)) {
      expect(run.stdout).toContain(`  ${product}: ${growth.toFixed(1)}%`);
    }
    for (const [product, rates] of Object.entries(sales.expected.period_growth_pct_1dp)) {
      expect(run.stdout).toContain(
        `  ${product}: ${rates.map((rate) => rate.toFixed(1)).join(', ')}`,
      );
    }

    const lines = run.stdout.split('\n').filter((line) => line.startsWith('figure '));
    expect(lines).toHaveLength(2);
    const titles = ['Sales trends', 'Period-over-period growth (%)'];
    for (const [position, line] of lines.entries()) {
      const match = /^figure (\d+): (\S+)\s+([\d,]+) bytes\s+(\d+)×(\d+) px\s+"(.*)"$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, number, path, bytes, width, height, title] = match as RegExpExecArray;
      expect(Number(number)).toBe(position + 1);
      expect(isAbsolute(path as string)).toBe(false);
      expect((path as string).startsWith('figures/')).toBe(true);
      const file = await readFile(join(cwd, path as string));
      expect(file.length).toBe(Number((bytes as string).replaceAll(',', '')));
      expect((await stat(join(cwd, path as string))).isFile()).toBe(true);
      expect(pngSize(file)).toEqual({ width: Number(width), height: Number(height) });
      expect(isSalesFigureSize({ width: Number(width), height: Number(height) })).toBe(true);
      expect(title).toBe(titles[position]);
    }
  });
});
