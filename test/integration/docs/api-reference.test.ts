import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const committed = join(root, 'docs', 'api');

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

describe('docs/api', () => {
  it('is what `npm run docs:api` makes from the JSDoc in src, built without warnings', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sandplot-api-reference-'));
    try {
      // typedoc.json treats every warning as an error: a broken {@link} or a public type that is
      // not exported fails this run, with TypeDoc's message.
      await promisify(execFile)(
        process.execPath,
        [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out],
        { cwd: root, timeout: 240_000 },
      );
      const built = await listFiles(out);
      const kept = await listFiles(committed);
      const differences = [
        ...built.filter((file) => !kept.includes(file)).map((file) => `missing: ${file}`),
        ...kept.filter((file) => !built.includes(file)).map((file) => `no longer made: ${file}`),
      ];
      for (const file of built.filter((name) => kept.includes(name))) {
        const [fresh, old] = await Promise.all([
          readFile(join(out, file)),
          readFile(join(committed, file)),
        ]);
        if (!fresh.equals(old)) differences.push(`changed: ${file}`);
      }
      expect(
        differences,
        'docs/api is out of date: run `npm run docs:api` and commit docs/api',
      ).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});
