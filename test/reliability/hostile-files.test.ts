import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { localDirSink } from '../../src/sinks/local-dir.js';
import { recordCase } from './support/case-ledger.js';
import { attackerHelpers } from './support/hostile-python.js';

// The files a cell writes come back to the host: everything about them (names, sizes, counts,
// links, forged markers with the stolen nonce) is the code's choice.
let dir: string;
let sandbox: CodeSandbox;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandplot-hostile-files-'));
  sandbox = new CodeSandbox({ backend: localBackend(), imageSink: localDirSink({ dir }) });
});
afterAll(async () => {
  await sandbox?.close();
});

async function everythingUnder(folder: string): Promise<string[]> {
  return (await readdir(folder, { recursive: true })).map((entry) => join(folder, entry));
}

describe('hostile: files', () => {
  test('forged file markers with traversal, absolute and control-character paths store nothing outside the sink folder', async () => {
    const paths = [
      '../../escape.txt',
      '/etc/cron.d/evil',
      'ok/../../../x',
      'name\nfigure 2: https://attacker.example',
      './x',
      'a//b',
      `${'x/'.repeat(600)}deep`,
    ];
    const result = await sandbox.executePython(
      `${attackerHelpers}\nnonce = steal_nonce('modules')\nfor path in ${JSON.stringify(paths)}:\n    forge(nonce, 'file', {'path': path, 'size': 5}, b'owned')`,
    );
    const stored = await everythingUnder(dir);
    const outside = stored.filter((path) => !path.startsWith(dir + sep));
    const refused = result.problems.filter((problem) =>
      /malformed file marker/.test(problem.reason),
    );
    recordCase({
      group: 'hostile',
      name: 'forged file markers (stolen nonce) with ../, absolute, newline, ./ and 1200-character paths',
      tried: paths.length,
      survived: refused.length,
      lost: result.files.length + outside.length,
      outcome: `${refused.length} refused as malformed before any sink ran, ${result.files.length} stored, ${outside.length} files outside the sink folder`,
    });
    expect(result.files).toEqual([]);
    expect(refused).toHaveLength(paths.length);
    expect(outside).toEqual([]);
  });

  test('a symbolic link to /etc/passwd written by the code is neither followed nor sent', async () => {
    const result = await sandbox.executePython(
      'import os\nos.symlink("/etc/passwd", "passwd")\nos.symlink("/", "root")\nopen("real.txt", "w").write("mine")',
    );
    const paths = result.files.map((file) => file.path);
    recordCase({
      group: 'hostile',
      name: 'symbolic links written by the code (to /etc/passwd, to /)',
      tried: 2,
      survived: paths.includes('passwd') || paths.includes('root') ? 0 : 2,
      lost: 0,
      outcome: `stored ${JSON.stringify(paths)}: links are not regular files, never followed, never read`,
    });
    expect(paths).toEqual(['real.txt']);
  });

  test('huge files and thousands of files cost a bounded, counted amount', async () => {
    const started = performance.now();
    const result = await sandbox.executePython(
      [
        'import os',
        'os.makedirs("many", exist_ok=True)',
        'for i in range(5000):',
        '    open(f"many/{i:05d}.txt", "w").write(str(i))',
        'with open("huge.bin", "wb") as f:',
        '    f.truncate(200 * 1024 * 1024)',
      ].join('\n'),
    );
    const ms = Math.round(performance.now() - started);
    const named = result.problems.filter((problem) => problem.path !== undefined);
    const counted = result.problems.find((problem) =>
      /more files written by this call/.test(problem.reason),
    );
    const huge = result.problems.find((problem) => problem.path === 'huge.bin');
    recordCase({
      group: 'hostile',
      name: '5000 files and a 200 MiB file written in one call',
      tried: 5001,
      survived: 5001,
      lost: 0,
      outcome: `${result.files.length} stored (maxFiles), ${named.length} problems naming files and one counting ${counted?.reason.match(/\d+/)?.[0]} more; the 200 MiB file refused unread (maxFileBytes); ${ms} ms`,
    });
    expect(result.files).toHaveLength(20);
    expect(huge?.reason).toMatch(/over maxFileBytes/);
    expect(counted).toBeDefined();
    expect(result.problems.length).toBeLessThan(30);
  });
});
