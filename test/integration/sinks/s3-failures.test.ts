import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { SandplotError, SinkError } from '../../../src/errors/index.js';
import { s3Sink } from '../../../src/s3.js';
import { base64Sink } from '../../../src/sinks/base64.js';
import { fallbackSink } from '../../../src/sinks/fallback.js';
import type { FigureProblem } from '../../../src/types/index.js';
import { tinyPng } from '../../support/png.js';
import { startS3TestServer } from '../../support/s3-server.js';
import { pngFigure, sinkContext, useS3Bucket } from '../../support/s3-sink-fixtures.js';

const bucket = 'figures';
const s3 = useS3Bucket(bucket);

describe('s3Sink failures against s3rver behind a SigV4-verifying proxy', () => {
  it('is refused by the verifying proxy when the client signs with the wrong secret', async () => {
    const wrong = new S3Client({
      ...s3.server.clientConfig,
      credentials: { accessKeyId: s3.server.credentials.accessKeyId, secretAccessKey: 'not-it' },
      maxAttempts: 1,
    });
    const sink = s3Sink({ bucket, client: wrong });
    const failure = sink.put(pngFigure(4), sinkContext('exec-wrong-secret'));
    await expect(failure).rejects.toBeInstanceOf(SinkError);
    await expect(failure).rejects.toMatchObject({ sink: 's3', isRetryable: false });
    await expect(failure).rejects.toThrow(
      /s3:\/\/figures\/figures\/\d{4}\/\d{2}\/\d{2}\/exec-wrong-secret\/figure-5\.png.*SignatureDoesNotMatch.*s3:PutObject/,
    );
    const seen = s3.server.requests.filter((request) => request.url.includes('exec-wrong-secret'));
    expect(seen.map((request) => request.status)).toEqual([403]);
    // Nothing was stored.
    const right = await s3Sink({ bucket, client: s3.client }).put(
      pngFigure(4),
      sinkContext('exec-wrong-secret-2'),
    );
    await expect(
      s3.client.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: (right.key as string).replace('exec-wrong-secret-2', 'exec-wrong-secret'),
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    wrong.destroy();
  });

  it('reports a missing bucket naming the bucket and the option, and falls back to base64', async () => {
    const sink = s3Sink({ bucket: 'no-such-bucket', client: s3.client });
    const failure = sink.put(pngFigure(0), sinkContext('exec-nobucket'));
    await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', isRetryable: false });
    await expect(failure).rejects.toThrow(
      /s3:\/\/no-such-bucket\/figures\/.*\/exec-nobucket\/figure-1\.png.*NoSuchBucket.*`bucket` option/,
    );

    const problems: FigureProblem[] = [];
    const stored = await fallbackSink(sink, base64Sink()).put(
      pngFigure(0),
      sinkContext('exec-nobucket', { reportProblem: (problem) => problems.push(problem) }),
    );
    expect(stored.sink).toBe('base64');
    expect(stored.url).toMatch(/^data:image\/png;base64,/);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ index: 0, stage: 'store', sink: 's3' });
    expect(problems[0]?.reason).toMatch(/no-such-bucket.*NoSuchBucket/);
  });

  it('reports a server that is down as a retryable SinkError, and falls back', async () => {
    const down = await startS3TestServer({ buckets: [bucket] });
    await down.close();
    const downClient = new S3Client({ ...down.clientConfig, maxAttempts: 1 });
    const sink = s3Sink({ bucket, client: downClient });
    const failure = sink.put(pngFigure(2), sinkContext('exec-down'));
    await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', isRetryable: true });
    await expect(failure).rejects.toThrow(
      /s3:\/\/figures\/figures\/.*\/exec-down\/figure-3\.png.*ECONNREFUSED.*network path/,
    );

    const problems: FigureProblem[] = [];
    const stored = await fallbackSink(sink, base64Sink()).put(
      pngFigure(2),
      sinkContext('exec-down', { reportProblem: (problem) => problems.push(problem) }),
    );
    expect(stored.sink).toBe('base64');
    expect(Buffer.compare(Buffer.from(stored.data as Uint8Array), Buffer.from(tinyPng))).toBe(0);
    expect(problems).toEqual([
      { index: 2, stage: 'store', sink: 's3', reason: expect.stringMatching(/ECONNREFUSED/) },
    ]);
    downClient.destroy();
  });

  it('times out a slow server after timeoutMs (retryable), and falls back', async () => {
    const slow = await startS3TestServer({ buckets: [bucket], latencyMs: 1_500 });
    const slowClient = new S3Client(slow.clientConfig);
    try {
      const sink = s3Sink({ bucket, client: slowClient, timeoutMs: 300 });
      const started = performance.now();
      const failure = sink.put(pngFigure(5), sinkContext('exec-slow'));
      await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', isRetryable: true });
      await expect(failure).rejects.toThrow(
        /timed out after 300 ms.*s3:\/\/figures\/figures\/.*exec-slow\/figure-6\.png.*`timeoutMs`/,
      );
      expect(performance.now() - started).toBeLessThan(1_200);

      const problems: FigureProblem[] = [];
      const stored = await fallbackSink(sink, base64Sink()).put(
        pngFigure(5),
        sinkContext('exec-slow', { reportProblem: (problem) => problems.push(problem) }),
      );
      expect(stored.sink).toBe('base64');
      expect(problems[0]).toMatchObject({ index: 5, stage: 'store', sink: 's3' });
      expect(problems[0]?.reason).toMatch(/timed out after 300 ms/);

      // Within the time limit, the same slow server works.
      slow.setLatency(50);
      const ok = await s3Sink({ bucket, client: slowClient, timeoutMs: 5_000 }).put(
        pngFigure(5),
        sinkContext('exec-slow-ok'),
      );
      expect((await fetch(ok.url)).status).toBe(200);
    } finally {
      slowClient.destroy();
      await slow.close();
    }
  });

  it('rides out injected 500s and SlowDowns with the SDK retries; reports them when they persist', async () => {
    s3.server.failNext(1, 'InternalError');
    s3.server.failNext(1, 'SlowDown');
    const stored = await s3Sink({ bucket, client: s3.client }).put(
      pngFigure(0),
      sinkContext('exec-retry'),
    );
    expect((await fetch(stored.url)).status).toBe(200);
    const attempts = s3.server.requests.filter(
      (request) => request.method === 'PUT' && request.url.includes('exec-retry'),
    );
    expect(attempts.map((request) => request.status)).toEqual([500, 503, 200]);

    const once = new S3Client({ ...s3.server.clientConfig, maxAttempts: 1 });
    s3.server.failNext(1, 'SlowDown');
    await expect(
      s3Sink({ bucket, client: once }).put(pngFigure(0), sinkContext('exec-slowdown')),
    ).rejects.toMatchObject({
      isRetryable: true,
      message: expect.stringMatching(/SlowDown.*maxConcurrentUploads/),
    });
    s3.server.failNext(1, 'InternalError');
    await expect(
      s3Sink({ bucket, client: once }).put(pngFigure(0), sinkContext('exec-500')),
    ).rejects.toMatchObject({ isRetryable: true, message: expect.stringMatching(/500/) });
    once.destroy();
  });

  it('passes the abort signal to the SDK: an aborted upload is an AbortError, not a SinkError', async () => {
    s3.server.setLatency(2_000);
    try {
      const controller = new AbortController();
      const failure = s3Sink({ bucket, client: s3.client }).put(
        pngFigure(0),
        sinkContext('exec-abort', { abortSignal: controller.signal }),
      );
      setTimeout(() => controller.abort(new Error('user pressed stop')), 100);
      const started = performance.now();
      const error = await failure.catch((caught: unknown) => caught);
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(SandplotError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ABORTED' });
    } finally {
      s3.server.setLatency(0);
    }
  });
});
