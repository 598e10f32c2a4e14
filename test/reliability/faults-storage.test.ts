import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { base64Sink } from '../../src/sinks/base64.js';
import { fallbackSink } from '../../src/sinks/fallback.js';
import { localDirSink } from '../../src/sinks/local-dir.js';
import { s3Sink } from '../../src/sinks/s3.js';
import { DEFAULT_SINK_CONCURRENCY, type ImageSink } from '../../src/sinks/types.js';
import type { ExecutionResult } from '../../src/types/index.js';
import { type S3TestServer, startS3TestServer } from '../support/s3-server.js';
import { recordCase } from './support/case-ledger.js';
import { plotCode, storedFigures, undeliveredFigures } from './support/figure-count.js';

// Faults of the figure store: S3 answering 5xx, too slow, or not there at all. The code runs in
// one local sandbox session; the sink under test is swapped between calls.

const bucket = 'figures';

describe('faults: figure storage', () => {
  let s3: S3TestServer;
  let client: S3Client;
  let folder: string;
  let sandbox: CodeSandbox;
  let current: ImageSink = base64Sink();
  // One sandbox for every case: its sink is whichever `current` is.
  const switchable: ImageSink = {
    name: 'switchable',
    get concurrency() {
      return current.concurrency ?? DEFAULT_SINK_CONCURRENCY;
    },
    put: (figure, context) => current.put(figure, context),
  };

  beforeAll(async () => {
    [s3, folder] = await Promise.all([
      startS3TestServer({ buckets: [bucket] }),
      mkdtemp(join(tmpdir(), 'sandplot-fault-figures-')),
    ]);
    client = new S3Client(s3.clientConfig);
    sandbox = new CodeSandbox({ backend: localBackend(), imageSink: switchable });
    await sandbox.executePython('import matplotlib.pyplot as plt');
  });
  afterAll(async () => {
    await sandbox?.close();
    client?.destroy();
    await s3?.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Runs `tries` executions of `figures` figures each through `sinkFor(round)`; tallies them. */
  async function run(
    tries: number,
    figures: number,
    sinkFor: (round: number) => ImageSink,
    before: (round: number) => void,
    judge: (result: ExecutionResult, round: number) => boolean,
  ) {
    let survived = 0;
    let lost = 0;
    let slowestMs = 0;
    const reasons = new Set<string>();
    for (let round = 0; round < tries; round++) {
      current = sinkFor(round);
      before(round);
      const began = performance.now();
      const result = await sandbox.executePython(plotCode(`store-${round}`, figures));
      slowestMs = Math.max(slowestMs, performance.now() - began);
      lost += undeliveredFigures(result, figures);
      for (const problem of result.problems) reasons.add(problem.reason);
      if (judge(result, round)) survived++;
    }
    current = base64Sink();
    return { survived, lost, slowestMs: Math.round(slowestMs), reasons: [...reasons] };
  }

  const s3Only = () => s3Sink({ bucket, client });
  const withFallback = (sink: ImageSink) => fallbackSink(sink, localDirSink({ dir: folder }));

  /** All `figures` stored by `sink`. */
  const allStoredBy = (result: ExecutionResult, figures: number, sink: string) =>
    storedFigures(result, figures) === figures &&
    result.figures.every((figure) => figure.sink === sink);

  /** Every figure either listed as a store problem with a reason matching `reason`, or stored by the local-dir fallback. */
  const accountedFor = (result: ExecutionResult, figures: number, reason: RegExp) => {
    for (let index = 0; index < figures; index++) {
      const stored = result.figures.find((figure) => figure.index === index);
      const problem = result.problems.find((each) => each.index === index);
      if (problem === undefined || problem.stage !== 'store' || !reason.test(problem.reason)) {
        return false;
      }
      if (stored !== undefined && stored.sink !== 'local-dir') return false;
    }
    return true;
  };

  it('S3 500 and SlowDown answers are retried by the SDK', async () => {
    const tries = 8;
    const figures = 2;
    const { survived, lost } = await run(
      tries,
      figures,
      s3Only,
      (round) => s3.failNext(2, round % 2 === 0 ? 'InternalError' : 'SlowDown'),
      (result) => result.problems.length === 0 && allStoredBy(result, figures, 's3'),
    );
    recordCase({
      group: 'fault',
      name: 'S3 answers 500 InternalError or 503 SlowDown twice per execution',
      tried: tries,
      survived,
      lost,
      outcome: `${tries * figures} figures, all stored after the SDK's retries`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('S3 5xx past the SDK retries: the figure is in problems, or stored by the fallback', async () => {
    const tries = 6;
    const figures = 1;
    const { survived, lost, reasons } = await run(
      tries,
      figures,
      (round) => (round % 2 === 0 ? s3Only() : withFallback(s3Only())),
      (round) => s3.failNext(3, round % 4 < 2 ? 'InternalError' : 'SlowDown'),
      (result) => accountedFor(result, figures, /S3 failed on its side|S3 is throttling/),
    );
    recordCase({
      group: 'fault',
      name: 'S3 answers 5xx on all 3 SDK attempts',
      tried: tries,
      survived,
      lost,
      outcome: `half in problems (stage 'store'), half stored by fallbackSink(s3Sink, localDirSink); ${reasons.length} distinct reasons, e.g. "${reasons[0]?.slice(-60)}"`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('S3 slower than the sink timeoutMs: a clear timeout, no hang', async () => {
    const tries = 6;
    const figures = 2;
    const timeoutMs = 300;
    // Far beyond timeoutMs, so that an upload the timeout did not cut shows in slowestMs even
    // on a loaded machine.
    s3.setLatency(5_000);
    let outcome: Awaited<ReturnType<typeof run>>;
    try {
      outcome = await run(
        tries,
        figures,
        (round) => {
          const sink = s3Sink({ bucket, client, timeoutMs });
          return round % 2 === 0 ? sink : withFallback(sink);
        },
        () => {},
        (result) => accountedFor(result, figures, /timed out after 300 ms/),
      );
    } finally {
      s3.setLatency(0);
    }
    const { survived, lost, slowestMs } = outcome;
    recordCase({
      group: 'fault',
      name: `S3 answers after 5 s, s3Sink timeoutMs ${timeoutMs}`,
      tried: tries,
      survived,
      lost,
      outcome: `"timed out after ${timeoutMs} ms" in problems or fallback to local-dir; slowest execution ${slowestMs} ms`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
    expect(slowestMs).toBeLessThan(4_000);
  });

  it('S3 down (connection refused): a clear reason, no hang', async () => {
    const down = await startS3TestServer({ buckets: [bucket] });
    await down.close();
    const downClient = new S3Client(down.clientConfig);
    const tries = 6;
    const figures = 2;
    try {
      const { survived, lost, slowestMs } = await run(
        tries,
        figures,
        (round) => {
          const sink = s3Sink({ bucket, client: downClient });
          return round % 2 === 0 ? sink : withFallback(sink);
        },
        () => {},
        (result) => accountedFor(result, figures, /ECONNREFUSED.*S3 could not be reached/),
      );
      recordCase({
        group: 'fault',
        name: 'S3 down: the port refuses connections',
        tried: tries,
        survived,
        lost,
        outcome: `ECONNREFUSED, "S3 could not be reached" in problems or fallback to local-dir; slowest execution ${slowestMs} ms`,
      });
      expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
      expect(slowestMs).toBeLessThan(5_000);
    } finally {
      downClient.destroy();
    }
  });
});
