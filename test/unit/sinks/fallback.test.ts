import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, SinkError } from '../../../src/errors/index.js';
import { base64Sink } from '../../../src/sinks/base64.js';
import { fallbackSink } from '../../../src/sinks/fallback.js';
import { localDirSink } from '../../../src/sinks/local-dir.js';
import type { FigureProblem } from '../../../src/types/index.js';
import { describeImageSinkContract } from '../../support/image-sink-contract.js';
import { tinyPng } from '../../support/png.js';

async function unwritableDir(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'sandplot-fallback-'));
  await writeFile(join(parent, 'file'), '');
  return join(parent, 'file', 'figures');
}

// The first sink always fails, so every check goes through the fallback path.
describeImageSinkContract('fallbackSink(failing local-dir, base64)', async () => {
  const unwritable = await unwritableDir();
  return {
    sink: fallbackSink(localDirSink({ dir: unwritable }), base64Sink()),
    options: {
      sinkNames: ['base64'],
      failingSink: () =>
        fallbackSink(localDirSink({ dir: unwritable }), localDirSink({ dir: unwritable })),
    },
  };
});

describe('fallbackSink', () => {
  it('uses the first sink that works and reports each failure as a store problem', async () => {
    const problems: FigureProblem[] = [];
    const sink = fallbackSink(localDirSink({ dir: await unwritableDir() }), base64Sink());
    const stored = await sink.put(
      { index: 3, mediaType: 'image/png', data: tinyPng },
      { executionId: 'e', reportProblem: (problem) => problems.push(problem) },
    );
    expect(stored.sink).toBe('base64');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ index: 3, stage: 'store', sink: 'local-dir' });
    expect(typeof problems[0]?.reason).toBe('string');
    expect(problems[0]?.reason).toMatch(/could not write/);
  });

  it('does not try later sinks once one succeeded', async () => {
    const problems: FigureProblem[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'sandplot-fallback-'));
    const stored = await fallbackSink(localDirSink({ dir }), base64Sink()).put(
      { index: 0, mediaType: 'image/png', data: tinyPng },
      { executionId: 'e', reportProblem: (problem) => problems.push(problem) },
    );
    expect(stored.sink).toBe('local-dir');
    expect(problems).toEqual([]);
  });

  it('throws a SinkError listing every reason when all sinks fail', async () => {
    const problems: FigureProblem[] = [];
    const sink = fallbackSink(
      localDirSink({ dir: await unwritableDir() }),
      localDirSink({ dir: await unwritableDir() }),
    );
    const failure = sink.put(
      { index: 0, mediaType: 'image/png', data: tinyPng },
      { executionId: 'e', reportProblem: (problem) => problems.push(problem) },
    );
    await expect(failure).rejects.toBeInstanceOf(SinkError);
    await expect(failure).rejects.toThrow(/Every sink failed.*local-dir.*local-dir/);
    expect(problems).toHaveLength(2);
  });

  it('needs at least one sink', () => {
    expect(() => fallbackSink()).toThrow(ConfigError);
  });
});

describe('fallbackSink and aborts', () => {
  it('rethrows an abort instead of falling back to the next sink', async () => {
    const problems: FigureProblem[] = [];
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const failure = fallbackSink(base64Sink(), base64Sink()).put(
      { index: 0, mediaType: 'image/png', data: tinyPng },
      {
        executionId: 'e',
        abortSignal: controller.signal,
        reportProblem: (problem) => problems.push(problem),
      },
    );
    await expect(failure).rejects.toMatchObject({ code: 'ABORTED' });
    expect(problems).toEqual([]);
  });

  it('lets CodeSandbox overlap as many uploads as its most parallel sink allows', () => {
    const wide = { ...base64Sink(), concurrency: 16 };
    expect(fallbackSink(wide, base64Sink()).concurrency).toBe(16);
    expect(fallbackSink(base64Sink()).concurrency).toBe(4);
  });
});
