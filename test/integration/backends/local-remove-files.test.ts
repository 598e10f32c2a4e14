import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import type { BackendSession } from '../../../src/backends/types.js';
import { runCell } from '../../support/local-run.js';

describe('localBackend removeFiles', () => {
  let session: BackendSession;

  beforeAll(async () => {
    session = await localBackend().createSession();
  });

  afterAll(async () => {
    await session?.close();
  });

  async function exists(...paths: string[]): Promise<boolean[]> {
    const result = await runCell(
      session,
      `import json, os\nprint(json.dumps([os.path.lexists(p) for p in ${JSON.stringify(paths)}]))`,
    );
    return JSON.parse(result.stdout) as boolean[];
  }

  it('removes files and whole folders, relative to the work dir, and ignores missing paths', async () => {
    await session.writeFiles([
      { path: 'tree/a.txt', content: 'a' },
      { path: 'tree/deep/b.bin', content: new Uint8Array([1, 2, 3]) },
      { path: 'keep.txt', content: 'kept' },
      { path: 'single.txt', content: 'gone' },
    ]);
    await session.removeFiles?.(['tree', 'single.txt', 'never-existed', 'missing/folder/x']);
    expect(await exists('tree', 'tree/deep/b.bin', 'single.txt', 'keep.txt')).toEqual([
      false,
      false,
      false,
      true,
    ]);
    await expect(session.readFile('tree/a.txt')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(new TextDecoder().decode(await session.readFile('keep.txt'))).toBe('kept');
  });

  it('removes a symlink itself, never what it points to', async () => {
    await session.writeFiles([{ path: 'target/inside.txt', content: 'stays' }]);
    await runCell(session, "import os\nos.symlink('target', 'link')\nos.symlink('/etc', 'out')");
    await session.removeFiles?.(['link', 'out']);
    const check = await runCell(
      session,
      "print(os.path.lexists('link'), os.path.lexists('out'), open('target/inside.txt').read(), os.path.isdir('/etc'))",
    );
    expect(check.stdout).toBe('False False stays True\n');
  });

  it.each([
    ['an absolute path', '/etc/hostname'],
    ['a path with ..', 'tree/../../x'],
    ['the work dir itself', '.'],
    ['an empty path', ''],
  ])('refuses %s with INVALID_INPUT and removes nothing of the batch', async (_label, path) => {
    await session.writeFiles([{ path: 'batch.txt', content: 'x' }]);
    await expect(session.removeFiles?.(['batch.txt', path])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(new TextDecoder().decode(await session.readFile('batch.txt'))).toBe('x');
  });
});
