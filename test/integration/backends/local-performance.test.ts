import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { runCell } from '../../support/local-run.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// Timings vary with the load of the machine (tests run in parallel): the numbers are printed,
// the bounds only catch gross regressions.
test('measures start time (cold and warm font cache), print(1) round trip and interrupt latency', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sandplot-test-cache-'));
  onTestFinished(() => rm(cacheDir, { recursive: true, force: true }));
  const backend = localBackend({ cacheDir });
  // The first createSession also probes Python and bubblewrap: keep that out of the numbers.
  await (await localBackend().createSession()).close();

  let started = performance.now();
  const cold = await backend.createSession();
  const coldStartMs = performance.now() - started;
  await cold.close();

  const warmStarts: number[] = [];
  for (let index = 0; index < 3; index++) {
    started = performance.now();
    const warm = await backend.createSession();
    warmStarts.push(performance.now() - started);
    await warm.close();
  }
  const warmStartMs = median(warmStarts);

  const session = await backend.createSession();
  try {
    for (let index = 0; index < 20; index++) await runCell(session, 'print(1)');
    const roundTrips: number[] = [];
    for (let index = 0; index < 300; index++) {
      const result = await runCell(session, 'print(1)');
      expect(result.stdout).toBe('1\n');
      roundTrips.push(result.durationMs);
    }
    const roundTripMs = median(roundTrips);

    const latencies: number[] = [];
    for (let index = 0; index < 5; index++) {
      const result = await runCell(session, 'while True:\n    pass', { timeoutMs: 200 });
      expect(result.interrupted).toBe('timeout');
      latencies.push(result.durationMs - 200);
    }
    const interruptLatencyMs = median(latencies);

    console.log(
      JSON.stringify({
        coldStartMs: Math.round(coldStartMs),
        warmStartMs: Math.round(warmStartMs),
        roundTripMedianMs: Number(roundTripMs.toFixed(3)),
        roundTripP90Ms: Number(
          roundTrips.sort((a, b) => a - b)[Math.floor(roundTrips.length * 0.9)]?.toFixed(3),
        ),
        interruptLatencyMedianMs: Number(interruptLatencyMs.toFixed(2)),
      }),
    );
    expect(roundTripMs).toBeLessThan(2);
    expect(interruptLatencyMs).toBeLessThan(100);
  } finally {
    await session.close();
  }
});
