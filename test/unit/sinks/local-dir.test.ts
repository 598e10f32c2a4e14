import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { localDirSink } from '../../../src/sinks/local-dir.js';
import { describeImageSinkContract } from '../../support/image-sink-contract.js';
import { tinyPng } from '../../support/png.js';

const reportProblem = () => {};

/** A `dir` that cannot be created: its parent is a file. */
async function unwritableDir(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'sandplot-sink-'));
  await writeFile(join(parent, 'file'), 'not a folder');
  return join(parent, 'file', 'figures');
}

describeImageSinkContract('localDirSink', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sandplot-sink-'));
  const failing = await unwritableDir();
  return {
    sink: localDirSink({ dir }),
    options: {
      dir,
      listStored: async () => readdir(dir),
      failingSink: () => localDirSink({ dir: failing }),
    },
  };
});

describe('localDirSink', () => {
  it('writes the bytes to {executionId}-figure-{index + 1}.{ext} (figure 1 for index 0), creating the folder', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'sandplot-sink-')), 'nested', 'figures');
    const sink = localDirSink({ dir });
    const stored = await sink.put(
      { index: 0, mediaType: 'image/png', data: tinyPng, title: '../../etc/evil' },
      { executionId: 'e1', reportProblem },
    );
    expect(stored.path).toBe(join(dir, 'e1-figure-1.png'));
    expect(fileURLToPath(stored.url)).toBe(stored.path);
    expect(Buffer.compare(await readFile(join(dir, 'e1-figure-1.png')), Buffer.from(tinyPng))).toBe(
      0,
    );
    expect(stored.data).toBeUndefined();
    // No temporary files are left behind, and the title did not steer the name.
    expect(await readdir(dir)).toEqual(['e1-figure-1.png']);
  });

  it('uses the extension of the media type', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandplot-sink-'));
    const sink = localDirSink({ dir });
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    await sink.put(
      { index: 0, mediaType: 'image/svg+xml', data: svg },
      { executionId: 'x', reportProblem },
    );
    await sink.put(
      { index: 1, mediaType: 'image/jpeg', data: jpeg },
      { executionId: 'x', reportProblem },
    );
    expect((await readdir(dir)).sort()).toEqual(['x-figure-1.svg', 'x-figure-2.jpg']);
  });

  it('fails with a SinkError naming the path and the option when the folder cannot be made', async () => {
    const sink = localDirSink({ dir: await unwritableDir() });
    const failure = sink.put(
      { index: 0, mediaType: 'image/png', data: tinyPng },
      { executionId: 'e', reportProblem },
    );
    await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', sink: 'local-dir' });
    await expect(failure).rejects.toThrow(/`dir` option/);
  });

  it('rejects a missing dir with a ConfigError', () => {
    expect(() => localDirSink({} as never)).toThrow(ConfigError);
  });
});
