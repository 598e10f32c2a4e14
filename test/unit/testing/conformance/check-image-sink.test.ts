import { describe, expect, it } from 'vitest';
import { AbortError, ConfigError, SinkError } from '../../../../src/errors/index.js';
import type { ImageSink } from '../../../../src/sinks/types.js';
import {
  type CheckImageSinkOptions,
  checkImageSink,
  IMAGE_SINK_CHECKS,
  imageSinkCheckNames,
} from '../../../../src/testing.js';
import type { CapturedFile } from '../../../../src/types/index.js';

interface Flaws {
  /** Reports one byte more than it stored. */
  wrongByteLength?: boolean;
  /** Stores the figure although the signal was already aborted. */
  ignoresAbort?: boolean;
  /** Names the object after the figure's title. */
  keyFromTitle?: boolean;
  /** Gives every figure of an execution the same key. */
  keyWithoutIndex?: boolean;
  /** Refuses with a plain Error instead of a SinkError. */
  plainErrors?: boolean;
}

/**
 * An in-memory object store sink (URLs memory://key, read back from the store) that keeps the
 * contract, unless told to break a part of it.
 */
function memorySink(flaws: Flaws = {}) {
  const objects = new Map<string, Uint8Array>();
  const refuse = (message: string) =>
    flaws.plainErrors ? new Error(message) : new SinkError('memory', message);
  const sink: ImageSink = {
    name: 'memory',
    async put(figure, context) {
      if (context.abortSignal?.aborted && !flaws.ignoresAbort) {
        throw new AbortError('memorySink: aborted');
      }
      if (!/^[0-9a-zA-Z-]{1,64}$/.test(context.executionId)) throw refuse('bad execution id');
      const name = flaws.keyFromTitle
        ? (figure.title ?? 'figure')
        : flaws.keyWithoutIndex
          ? 'figure'
          : `figure-${figure.index}`;
      const key = `memory/${context.executionId}/${name}`;
      objects.set(key, figure.data.slice());
      const { data, ...rest } = figure;
      return {
        ...rest,
        sink: 'memory',
        key,
        url: `memory://${key}`,
        byteLength: data.byteLength + (flaws.wrongByteLength ? 1 : 0),
      };
    },
  };
  const options: CheckImageSinkOptions = {
    keyPrefix: 'memory/',
    listStored: async () => [...objects.keys()],
    read: async (stored) => objects.get(stored.key as string) ?? new Uint8Array(),
    failingSink: () => ({
      name: 'memory',
      put: async () => {
        throw refuse('the store is full');
      },
    }),
  };
  return { sink, options };
}

async function failedChecks(flaws: Flaws): Promise<string[]> {
  const { sink, options } = memorySink(flaws);
  const report = await checkImageSink(sink, options);
  expect(report.checks.map((check) => check.name)).toEqual(Object.keys(IMAGE_SINK_CHECKS));
  return report.checks.filter((check) => !check.ok).map((check) => check.name);
}

describe('checkImageSink', () => {
  it('passes a sink that keeps the contract, running every check', async () => {
    const { sink, options } = memorySink();
    const report = await checkImageSink(sink, options);
    expect(report.checks).toEqual(
      Object.keys(IMAGE_SINK_CHECKS).map((name) =>
        // This sink stores figures only: the files check passes and says so.
        name === 'files'
          ? { name, ok: true, detail: expect.stringContaining('has no putFile') }
          : { name, ok: true },
      ),
    );
    expect(report.ok).toBe(true);
  });

  it('names the files check for a sink whose putFile puts HTML where a browser renders it, or loses bytes', async () => {
    const { sink, options } = memorySink();
    const withFiles = {
      ...sink,
      async putFile(file: CapturedFile) {
        const data = file.path.endsWith('.csv') ? file.data.subarray(1) : file.data;
        return {
          path: file.path,
          mediaType: file.mediaType,
          sink: sink.name,
          url: `data:${file.mediaType};base64,${Buffer.from(data).toString('base64')}`,
          byteLength: file.data.byteLength,
        };
      },
    };
    const report = await checkImageSink(withFiles, { ...options, only: ['files'] });
    expect(report.checks).toEqual([
      { name: 'files', ok: false, detail: expect.stringMatching(/report\.csv.*differs/) },
    ]);
  });

  it('names the byte-length check for a sink that misreports byteLength', async () => {
    expect(await failedChecks({ wrongByteLength: true })).toEqual(['byte-length']);
  });

  it('names the abort check for a sink that stores although the signal was aborted', async () => {
    const { sink, options } = memorySink({ ignoresAbort: true });
    const report = await checkImageSink(sink, { ...options, only: ['abort'] });
    expect(report).toEqual({
      ok: false,
      checks: [
        {
          name: 'abort',
          ok: false,
          detail: 'put resolved although its abortSignal was already aborted',
        },
      ],
    });
  });

  it('names the hostile-title check for a sink that names objects after the title', async () => {
    const failed = await failedChecks({ keyFromTitle: true });
    expect(failed).toContain('hostile-title');
    const { sink, options } = memorySink({ keyFromTitle: true });
    const [check] = (await checkImageSink(sink, { ...options, only: ['hostile-title'] })).checks;
    expect(check?.detail).toMatch(/the key "memory\/[0-9a-f]+\/\.\.\/\.\.\/etc\/x" holds "etc\/x"/);
  });

  it('names the concurrent-figures check for a sink that gives every figure the same key', async () => {
    expect(await failedChecks({ keyWithoutIndex: true })).toEqual(['concurrent-figures']);
  });

  it('names the sink-error and hostile-execution-id checks for a sink that throws plain Errors', async () => {
    const { sink, options } = memorySink({ plainErrors: true });
    const report = await checkImageSink(sink, options);
    const failed = report.checks.filter((check) => !check.ok);
    expect(failed.map((check) => check.name)).toEqual(['hostile-execution-id', 'sink-error']);
    expect(failed[1]?.detail).toBe('put rejected with Error: the store is full, not a SinkError');
  });

  it('reports a put that throws synchronously or hangs as failed checks, without rejecting', async () => {
    const throwing: ImageSink = {
      name: 'throwing',
      put: () => {
        throw new TypeError('put exploded');
      },
    };
    const thrown = await checkImageSink(throwing, { only: ['round-trip'] });
    expect(thrown.checks).toEqual([
      { name: 'round-trip', ok: false, detail: 'threw TypeError: put exploded' },
    ]);

    const hanging: ImageSink = { name: 'hanging', put: () => new Promise(() => {}) };
    const started = performance.now();
    const hung = await checkImageSink(hanging, { timeoutMs: 100, only: ['round-trip', 'abort'] });
    expect(hung.checks).toEqual([
      { name: 'round-trip', ok: false, detail: 'did not finish within 100 ms' },
      { name: 'abort', ok: false, detail: 'did not finish within 100 ms' },
    ]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('runs sink-error only with a failingSink, and fails it when asked for by name without one', async () => {
    expect(imageSinkCheckNames()).not.toContain('sink-error');
    expect(imageSinkCheckNames({ failingSink: () => memorySink().sink })).toContain('sink-error');
    const report = await checkImageSink(memorySink().sink, { only: ['sink-error'] });
    expect(report.checks).toEqual([
      {
        name: 'sink-error',
        ok: false,
        detail: 'needs the failingSink option: a sink of this kind whose put fails',
      },
    ]);
  });

  it('rejects unknown options and check names with a ConfigError naming them', async () => {
    const sink = memorySink().sink;
    await expect(checkImageSink(sink, { timeout: 5 } as never)).rejects.toThrow(ConfigError);
    await expect(checkImageSink(sink, { timeout: 5 } as never)).rejects.toThrow(/`timeout`/);
    await expect(checkImageSink(sink, { only: ['speed'] } as never)).rejects.toThrow(/only\.0/);
  });
});
