import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { runCell } from '../../support/local-run.js';

async function fontLists(cacheDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(cacheDir, { recursive: true })) {
    if (/fontlist-v\d+\.json$/.test(entry)) found.push(join(cacheDir, entry));
  }
  return found;
}

const readCopy =
  'import glob\nprint(any("sandplotTestMarker" in open(path).read() for path in glob.glob("/tmp/matplotlib/fontlist-v*.json")))';

test('a session fills the font cache and later sessions start with a copy of it', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sandplot-test-cache-'));
  onTestFinished(() => rm(cacheDir, { recursive: true, force: true }));
  const backend = localBackend({ cacheDir });
  await (await backend.createSession()).close();

  const [fontList] = await fontLists(cacheDir);
  expect(fontList).toBeDefined();
  const parsed = JSON.parse(await readFile(fontList as string, 'utf8')) as Record<string, unknown>;
  expect(parsed.ttflist).toBeInstanceOf(Array);
  await writeFile(fontList as string, JSON.stringify({ ...parsed, sandplotTestMarker: true }));

  const session = await backend.createSession();
  try {
    expect((await runCell(session, readCopy)).stdout).toBe('True\n');
    // A copy: what the session does to it stays in the session.
    await runCell(
      session,
      'import glob\nfor path in glob.glob("/tmp/matplotlib/fontlist-v*.json"):\n    open(path, "w").write("poisoned")',
    );
  } finally {
    await session.close();
  }
  expect(JSON.parse(await readFile(fontList as string, 'utf8'))).toMatchObject({
    sandplotTestMarker: true,
  });
});

test('a cache folder that others can write is not used', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sandplot-test-cache-'));
  onTestFinished(() => rm(cacheDir, { recursive: true, force: true }));
  const backend = localBackend({ cacheDir });
  await (await backend.createSession()).close();
  const [fontList] = await fontLists(cacheDir);
  const parsed = JSON.parse(await readFile(fontList as string, 'utf8')) as Record<string, unknown>;
  await writeFile(fontList as string, JSON.stringify({ ...parsed, sandplotTestMarker: true }));
  await chmod(join(fontList as string, '..'), 0o777);

  const session = await backend.createSession();
  try {
    expect((await runCell(session, readCopy)).stdout).toBe('False\n');
  } finally {
    await session.close();
  }
});
