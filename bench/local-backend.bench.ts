import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { localBackend } from 'sandplot';
import { type BenchReport, formatMs, median, target } from './report.js';

const noop = () => {};

/** Session start with a cold and a warm font cache, and how fast a timeout interrupts a cell. */
export async function benchLocalBackend(): Promise<BenchReport> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sandplot-bench-cache-'));
  try {
    // The first session also probes Python and bubblewrap: keep that out of the numbers.
    await (await localBackend().createSession()).close();
    const backend = localBackend({ cacheDir });

    let started = performance.now();
    await (await backend.createSession()).close();
    const coldMs = performance.now() - started;
    const warmStarts: number[] = [];
    for (let index = 0; index < 5; index++) {
      started = performance.now();
      await (await backend.createSession()).close();
      warmStarts.push(performance.now() - started);
    }
    const warmMs = median(warmStarts);

    const session = await backend.createSession();
    const timeoutMs = 200;
    const latencies: number[] = [];
    for (let index = 0; index < 10; index++) {
      started = performance.now();
      const result = await session.runCode('while True:\n    pass', {
        timeoutMs,
        onStdout: noop,
        onStderr: noop,
      });
      if (result.interrupted !== 'timeout' || !session.isAlive) {
        throw new Error('the interrupt did not keep the session');
      }
      latencies.push(performance.now() - started - timeoutMs);
    }
    await session.close();
    const latencyMs = median(latencies);
    return {
      name: 'Local backend: session start and interrupts',
      ok: warmMs < coldMs && latencyMs <= 50,
      lines: [
        `Session start (bubblewrap, Python, matplotlib imported, ready): cold font cache ${formatMs(coldMs)}, warm font cache median of 5 ${formatMs(warmMs)} (ratio ${(warmMs / coldMs).toFixed(2)}).`,
        target(
          'a warm font cache starts sessions faster',
          warmMs < coldMs,
          `${formatMs(coldMs - warmMs)} saved`,
        ),
        target(
          'interrupt latency after timeoutMs ≤ 50 ms (median of 10)',
          latencyMs <= 50,
          formatMs(latencyMs),
        ),
      ],
    };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
