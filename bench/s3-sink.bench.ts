import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// The sink's own source: the `sandplot/s3` subpath is wired into the build separately.
import { type S3Sink, s3Sink } from '../src/s3.js';
import type { CapturedFigure, StoredFigure } from '../src/types/index.js';
import { startS3TestServerProcess } from '../test/support/s3-server.js';
import { type BenchReport, formatMs, median, target } from './report.js';

const latencyMs = 20;
const figureCount = 10;
const singleRounds = 21;
const batchRounds = 9;
// About the size of a 1000×600 matplotlib PNG at 100 dpi.
const figureBytes = 48 * 1024;

function figures(): CapturedFigure[] {
  const data = new Uint8Array(figureBytes);
  data.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < data.length; i++) data[i] = (i * 31) & 0xff;
  return Array.from({ length: figureCount }, (_, index) => ({
    index,
    mediaType: 'image/png',
    data,
    title: `Figure ${index}`,
  }));
}

/** Stores figures the way CodeSandbox does: a pool of `workers` calling sink.put in order. */
async function storeWithPool(
  sink: S3Sink,
  captured: CapturedFigure[],
  executionId: string,
  workers: number,
): Promise<StoredFigure[]> {
  const stored: StoredFigure[] = new Array(captured.length);
  const context = { executionId, reportProblem: () => {} };
  let next = 0;
  const worker = async () => {
    while (next < captured.length) {
      const position = next++;
      stored[position] = await sink.put(captured[position] as CapturedFigure, context);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, captured.length) }, () => worker()));
  return stored;
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}

/**
 * The floor any S3 client hits on this machine: bare PutObject calls (no sink, no presigning)
 * to an endpoint that stores nothing and answers after the same latency. What stays above
 * 1 here is the SDK's own CPU per request, which parallel uploads cannot overlap.
 */
async function sdkFloor(
  captured: CapturedFigure[],
): Promise<{ singleMs: number; batchMs: number }> {
  const endpoint = createServer((request, response) => {
    request.resume();
    request.on('end', () =>
      setTimeout(() => {
        response.writeHead(200, { etag: '"0"' });
        response.end();
      }, latencyMs),
    );
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'floor', secretAccessKey: 'floor' },
  });
  const put = (key: string, figure: CapturedFigure) =>
    client.send(new PutObjectCommand({ Bucket: 'floor', Key: key, Body: figure.data }));
  try {
    await Promise.all(captured.map((figure, index) => put(`warm-${index}`, figure)));
    const single: number[] = [];
    for (let i = 0; i < singleRounds; i++) {
      single.push(await timed(() => put(`single-${i}`, captured[0] as CapturedFigure)));
    }
    const batch: number[] = [];
    for (let i = 0; i < batchRounds; i++) {
      batch.push(
        await timed(() =>
          Promise.all(captured.map((figure, index) => put(`batch-${i}-${index}`, figure))),
        ),
      );
    }
    return { singleMs: median(single), batchMs: median(batch) };
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => endpoint.close(() => resolve()));
  }
}

/**
 * Storing the 10 figures of one execution through s3Sink against s3rver (behind the verifying
 * proxy) with 20 ms of injected latency per request, against one upload and a sequential loop.
 */
export async function benchS3Sink(): Promise<BenchReport> {
  const server = await startS3TestServerProcess({ buckets: ['bench'], latencyMs });
  const client = new S3Client(server.clientConfig);
  try {
    const sink = s3Sink({ bucket: 'bench', client });
    const captured = figures();
    const first = captured[0] as CapturedFigure;
    let execution = 0;
    const nextExecution = () => `bench-${execution++}`;

    // Warm the connection pool as a running agent would have it.
    await storeWithPool(sink, captured, nextExecution(), sink.concurrency);

    const single: number[] = [];
    for (let i = 0; i < singleRounds; i++) {
      const executionId = nextExecution();
      single.push(await timed(() => sink.put(first, { executionId, reportProblem: () => {} })));
    }
    const sequential: number[] = [];
    const parallel: number[] = [];
    const poolOfFour: number[] = [];
    for (let i = 0; i < batchRounds; i++) {
      sequential.push(await timed(() => storeWithPool(sink, captured, nextExecution(), 1)));
      parallel.push(
        await timed(() => storeWithPool(sink, captured, nextExecution(), sink.concurrency)),
      );
      poolOfFour.push(await timed(() => storeWithPool(sink, captured, nextExecution(), 4)));
    }

    // Every upload of the last execution is really there.
    const check = await storeWithPool(sink, captured, nextExecution(), sink.concurrency);
    const downloads = await Promise.all(check.map((figure) => fetch(figure.url)));
    const allThere = downloads.every((response) => response.status === 200);
    await Promise.all(downloads.map((response) => response.arrayBuffer()));

    // The same server without the sink: what s3rver and the proxy alone make of ten at once.
    const bare = { single: [] as number[], batch: [] as number[] };
    const barePut = (key: string, figure: CapturedFigure) =>
      client.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: figure.data }));
    for (let i = 0; i < batchRounds; i++) {
      bare.single.push(await timed(() => barePut(`bare-single-${i}`, first)));
      bare.batch.push(
        await timed(() =>
          Promise.all(captured.map((figure, index) => barePut(`bare-${i}-${index}`, figure))),
        ),
      );
    }
    const bareSingleMs = median(bare.single);
    const bareBatchMs = median(bare.batch);

    const floor = await sdkFloor(captured);
    const cpuStarted = process.cpuUsage();
    const cpuBatches = 5;
    for (let i = 0; i < cpuBatches; i++) {
      await storeWithPool(sink, captured, nextExecution(), sink.concurrency);
    }
    const cpu = process.cpuUsage(cpuStarted);
    const cpuPerFigureMs = (cpu.user + cpu.system) / 1000 / (cpuBatches * figureCount);

    const singleMs = median(single);
    const sequentialMs = median(sequential);
    const parallelMs = median(parallel);
    const poolOfFourMs = median(poolOfFour);
    const ratio = parallelMs / singleMs;
    const holds = ratio <= 1.5 && allThere;
    return {
      name: 'S3 sink: the 10 figures of one execution',
      ok: holds,
      lines: [
        `s3Sink against s3rver behind the SigV4-verifying proxy on loopback, ${latencyMs} ms injected per request, ${figureBytes / 1024} KiB PNGs, presigned URLs. Medians of ${singleRounds} single uploads and ${batchRounds} batches of ${figureCount}.`,
        `One upload: ${formatMs(singleMs)}. ${figureCount} figures with sink.concurrency = ${sink.concurrency} workers: ${formatMs(parallelMs)}; with 4 workers (CodeSandbox's former fixed pool): ${formatMs(poolOfFourMs)}; sequential loop: ${formatMs(sequentialMs)} (${(sequentialMs / parallelMs).toFixed(1)}× the parallel time).`,
        target(
          `${figureCount} figures ≤ 1.5× one upload`,
          holds,
          `${ratio.toFixed(2)}× (${formatMs(parallelMs)} vs ${formatMs(singleMs)})${allThere ? '' : '; some presigned URLs did not download'}`,
        ),
        `Context: bare SDK PutObject to the same server, without the sink: one ${formatMs(bareSingleMs)}, ten in parallel ${formatMs(bareBatchMs)} (${(bareBatchMs / bareSingleMs).toFixed(2)}×), so the sink adds ${((parallelMs / bareBatchMs - 1) * 100).toFixed(0)}% to ten uploads and the rest is the test server handling them. The client spends ${formatMs(cpuPerFigureMs)} of CPU per figure (PutObject plus presigning; s3rver runs in another process). Bare SDK PutObject to an endpoint that only waits ${latencyMs} ms: one ${formatMs(floor.singleMs)}, ten in parallel ${formatMs(floor.batchMs)} (${(floor.batchMs / floor.singleMs).toFixed(2)}×), the floor for any sink on this machine.`,
      ],
    };
  } finally {
    client.destroy();
    await server.close();
  }
}
