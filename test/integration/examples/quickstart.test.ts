import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertBuildIsCurrent } from '../../support/cli.js';
import { pngSize } from '../../support/png.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/quickstart.ts', () => {
  it('runs offline, keeps variables between calls and writes the figure', async () => {
    assertBuildIsCurrent();
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-example-'));
    const { stdout } = await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'examples', 'quickstart.ts')],
      { cwd },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('Overall growth: 100.0%');
    const match = /^figure 1: (\S+) \((\d+)×(\d+) px, "Product A sales"\)$/.exec(lines[1] ?? '');
    expect(match, stdout).not.toBeNull();
    const file = await readFile(match?.[1] as string);
    expect(pngSize(file)).toEqual({ width: Number(match?.[2]), height: Number(match?.[3]) });
  });
});
