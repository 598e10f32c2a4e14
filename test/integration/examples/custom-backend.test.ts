import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHECKS } from '../../../src/testing.js';
import { assertBuildIsCurrent } from '../../support/cli.js';
import { pngSize } from '../../support/png.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('examples/custom-backend.ts', () => {
  it('passes every checkBackend check, then runs a CodeSandbox: state, a figure, a timeout as data', async () => {
    assertBuildIsCurrent();
    const cwd = await mkdtemp(join(tmpdir(), 'sandplot-custom-backend-'));
    const { stdout } = await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'examples', 'custom-backend.ts')],
      { cwd, timeout: 150_000 },
    );
    const names = Object.keys(BACKEND_CHECKS);
    expect(stdout).toContain(
      `checkBackend(plain-subprocess): ${names.length} of ${names.length} checks passed\n` +
        names.map((name) => `  ok   ${name}\n`).join(''),
    );
    expect(stdout).toContain('Overall growth: 100.0%\n');
    const figure = /^figure 1: (\S+\.png) \((\d+)×(\d+) px\)$/m.exec(stdout);
    expect(figure, stdout).not.toBeNull();
    expect(figure?.[1]?.startsWith(join(cwd, 'figures'))).toBe(true);
    expect(pngSize(await readFile(figure?.[1] as string))).toEqual({
      width: Number(figure?.[2]),
      height: Number(figure?.[3]),
    });
    expect(stdout).toContain('a 30 s cell with timeoutMs 1000: TimeoutError\n');
    expect(stdout).toContain('next call: sessionRestarted true, variables kept: False\n');
  }, 180_000);
});
