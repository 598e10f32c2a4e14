import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandplotError, SinkError } from '../../../src/errors/index.js';
import { s3Sink } from '../../../src/s3.js';
import { base64Sink } from '../../../src/sinks/base64.js';
import { fallbackSink } from '../../../src/sinks/fallback.js';
import type { ImageSinkContext } from '../../../src/sinks/types.js';
import type { CapturedFigure, FigureProblem } from '../../../src/types/index.js';
import { pngSize, tinyPng } from '../../support/png.js';
import { type S3TestServer, startS3TestServer } from '../../support/s3-server.js';

const bucket = 'figures';
const svg = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
);
const jpeg = Uint8Array.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9,
]);

let server: S3TestServer;
let client: S3Client;

beforeAll(async () => {
  server = await startS3TestServer({ buckets: [bucket] });
  client = new S3Client(server.clientConfig);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

function context(executionId: string, extra: Partial<ImageSinkContext> = {}): ImageSinkContext {
  return { executionId, sessionId: 'session-1', reportProblem: () => {}, ...extra };
}

function png(index: number, title?: string): CapturedFigure {
  return {
    index,
    mediaType: 'image/png',
    data: tinyPng,
    width: 1,
    height: 1,
    ...(title === undefined ? {} : { title }),
  };
}

async function fetchBytes(url: string): Promise<{ response: Response; bytes: Uint8Array }> {
  const response = await fetch(url);
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

function utcDay(date: Date): string {
  return `${date.getUTCFullYear()}/${String(date.getUTCMonth() + 1).padStart(2, '0')}/${String(date.getUTCDate()).padStart(2, '0')}`;
}

describe('s3Sink against s3rver behind a SigV4-verifying proxy', () => {
  it('uploads a PNG and returns a presigned URL that downloads the same bytes', async () => {
    const sink = s3Sink({ bucket, client });
    const before = new Date();
    const stored = await sink.put(png(0, 'Sales'), context('exec-png'));
    const after = new Date();

    expect(stored).toMatchObject({
      sink: 's3',
      index: 0,
      mediaType: 'image/png',
      width: 1,
      height: 1,
      title: 'Sales',
      byteLength: tinyPng.byteLength,
    });
    expect(stored.data).toBeUndefined();
    expect([
      `figures/${utcDay(before)}/exec-png/figure-0.png`,
      `figures/${utcDay(after)}/exec-png/figure-0.png`,
    ]).toContain(stored.key);

    // The URL is signed in the query (not public) and expires in an hour, to the second.
    const url = new URL(stored.url);
    expect(url.origin).toBe(server.endpoint);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.expiresAt).toBeInstanceOf(Date);
    const signedAt = (url.searchParams.get('X-Amz-Date') as string).replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    expect(stored.expiresAt?.getTime()).toBe(Date.parse(signedAt) + 3_600_000);
    expect(Date.parse(signedAt)).toBeGreaterThanOrEqual(before.getTime() - 1_000);
    expect(Date.parse(signedAt)).toBeLessThanOrEqual(after.getTime());

    const { response, bytes } = await fetchBytes(stored.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toBeNull();
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(tinyPng))).toBe(0);
    expect(pngSize(bytes)).toEqual({ width: 1, height: 1 });

    // Upload was header-signed and verified, download was query-signed and verified.
    const seen = server.requests.filter((request) => request.url.includes('exec-png'));
    expect(seen.map((request) => [request.method, request.auth, request.status])).toEqual([
      ['PUT', 'header', 200],
      ['GET', 'query', 200],
    ]);
  });

  it('stores SVG as an attachment unless allowInlineSvg, and JPEG with its own type', async () => {
    const stored = await s3Sink({ bucket, client }).put(
      { index: 1, mediaType: 'image/svg+xml', data: svg },
      context('exec-svg'),
    );
    expect(stored.key).toMatch(/\/exec-svg\/figure-1\.svg$/);
    const attachment = await fetchBytes(stored.url);
    expect(attachment.response.headers.get('content-type')).toBe('image/svg+xml');
    expect(attachment.response.headers.get('content-disposition')).toBe(
      'attachment; filename="figure-1.svg"',
    );
    expect(Buffer.from(attachment.bytes).toString()).toBe(Buffer.from(svg).toString());

    const inline = await s3Sink({ bucket, client, allowInlineSvg: true }).put(
      { index: 1, mediaType: 'image/svg+xml', data: svg },
      context('exec-svg-inline'),
    );
    const inlineResponse = await fetchBytes(inline.url);
    expect(inlineResponse.response.headers.get('content-type')).toBe('image/svg+xml');
    expect(inlineResponse.response.headers.get('content-disposition')).toBeNull();

    const photo = await s3Sink({ bucket, client }).put(
      { index: 2, mediaType: 'image/jpeg', data: jpeg },
      context('exec-jpeg'),
    );
    expect(photo.key).toMatch(/\/exec-jpeg\/figure-2\.jpg$/);
    const photoResponse = await fetchBytes(photo.url);
    expect(photoResponse.response.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.compare(Buffer.from(photoResponse.bytes), Buffer.from(jpeg))).toBe(0);
  });

  it('refuses a tampered URL: another key, or another signature', async () => {
    const stored = await s3Sink({ bucket, client }).put(png(0), context('exec-tamper'));
    await s3Sink({ bucket, client }).put(png(1), context('exec-tamper'));

    const otherKey = stored.url.replace('figure-0.png', 'figure-1.png');
    expect(otherKey).not.toBe(stored.url);
    const forged = await fetch(otherKey);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

    const url = new URL(stored.url);
    const signature = url.searchParams.get('X-Amz-Signature') as string;
    url.searchParams.set(
      'X-Amz-Signature',
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    );
    expect((await fetch(url)).status).toBe(403);

    const longer = new URL(stored.url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect((await fetch(longer)).status).toBe(403);

    // The untouched URL still works.
    expect((await fetch(stored.url)).status).toBe(200);
  });

  it('refuses an expired URL', async () => {
    const stored = await s3Sink({ bucket, client, expiresInSeconds: 1 }).put(
      png(0),
      context('exec-expiry'),
    );
    expect(new URL(stored.url).searchParams.get('X-Amz-Expires')).toBe('1');
    await sleep(Math.max(0, (stored.expiresAt as Date).getTime() - Date.now()) + 1_100);
    const response = await fetch(stored.url);
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/Request has expired/);
  });

  it('is refused by the verifying proxy when the client signs with the wrong secret', async () => {
    const wrong = new S3Client({
      ...server.clientConfig,
      credentials: { accessKeyId: server.credentials.accessKeyId, secretAccessKey: 'not-it' },
      maxAttempts: 1,
    });
    const sink = s3Sink({ bucket, client: wrong });
    const failure = sink.put(png(4), context('exec-wrong-secret'));
    await expect(failure).rejects.toBeInstanceOf(SinkError);
    await expect(failure).rejects.toMatchObject({ sink: 's3', isRetryable: false });
    await expect(failure).rejects.toThrow(
      /s3:\/\/figures\/figures\/\d{4}\/\d{2}\/\d{2}\/exec-wrong-secret\/figure-4\.png.*SignatureDoesNotMatch.*s3:PutObject/,
    );
    const seen = server.requests.filter((request) => request.url.includes('exec-wrong-secret'));
    expect(seen.map((request) => request.status)).toEqual([403]);
    // Nothing was stored.
    const right = await s3Sink({ bucket, client }).put(png(4), context('exec-wrong-secret-2'));
    await expect(
      client.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: (right.key as string).replace('exec-wrong-secret-2', 'exec-wrong-secret'),
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    wrong.destroy();
  });

  it('reports a missing bucket naming the bucket and the option, and falls back to base64', async () => {
    const sink = s3Sink({ bucket: 'no-such-bucket', client });
    const failure = sink.put(png(0), context('exec-nobucket'));
    await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', isRetryable: false });
    await expect(failure).rejects.toThrow(
      /s3:\/\/no-such-bucket\/figures\/.*\/exec-nobucket\/figure-0\.png.*NoSuchBucket.*`bucket` option/,
    );

    const problems: FigureProblem[] = [];
    const stored = await fallbackSink(sink, base64Sink()).put(
      png(0),
      context('exec-nobucket', { reportProblem: (problem) => problems.push(problem) }),
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
    const failure = sink.put(png(2), context('exec-down'));
    await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', isRetryable: true });
    await expect(failure).rejects.toThrow(
      /s3:\/\/figures\/figures\/.*\/exec-down\/figure-2\.png.*ECONNREFUSED.*network path/,
    );

    const problems: FigureProblem[] = [];
    const stored = await fallbackSink(sink, base64Sink()).put(
      png(2),
      context('exec-down', { reportProblem: (problem) => problems.push(problem) }),
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
      const failure = sink.put(png(5), context('exec-slow'));
      await expect(failure).rejects.toMatchObject({ code: 'SINK_FAILED', isRetryable: true });
      await expect(failure).rejects.toThrow(
        /timed out after 300 ms.*s3:\/\/figures\/figures\/.*exec-slow\/figure-5\.png.*`timeoutMs`/,
      );
      expect(performance.now() - started).toBeLessThan(1_200);

      const problems: FigureProblem[] = [];
      const stored = await fallbackSink(sink, base64Sink()).put(
        png(5),
        context('exec-slow', { reportProblem: (problem) => problems.push(problem) }),
      );
      expect(stored.sink).toBe('base64');
      expect(problems[0]).toMatchObject({ index: 5, stage: 'store', sink: 's3' });
      expect(problems[0]?.reason).toMatch(/timed out after 300 ms/);

      // Within the time limit, the same slow server works.
      slow.setLatency(50);
      const ok = await s3Sink({ bucket, client: slowClient, timeoutMs: 5_000 }).put(
        png(5),
        context('exec-slow-ok'),
      );
      expect((await fetch(ok.url)).status).toBe(200);
    } finally {
      slowClient.destroy();
      await slow.close();
    }
  });

  it('rides out injected 500s and SlowDowns with the SDK retries; reports them when they persist', async () => {
    server.failNext(1, 'InternalError');
    server.failNext(1, 'SlowDown');
    const stored = await s3Sink({ bucket, client }).put(png(0), context('exec-retry'));
    expect((await fetch(stored.url)).status).toBe(200);
    const attempts = server.requests.filter(
      (request) => request.method === 'PUT' && request.url.includes('exec-retry'),
    );
    expect(attempts.map((request) => request.status)).toEqual([500, 503, 200]);

    const once = new S3Client({ ...server.clientConfig, maxAttempts: 1 });
    server.failNext(1, 'SlowDown');
    await expect(
      s3Sink({ bucket, client: once }).put(png(0), context('exec-slowdown')),
    ).rejects.toMatchObject({
      isRetryable: true,
      message: expect.stringMatching(/SlowDown.*maxConcurrentUploads/),
    });
    server.failNext(1, 'InternalError');
    await expect(
      s3Sink({ bucket, client: once }).put(png(0), context('exec-500')),
    ).rejects.toMatchObject({ isRetryable: true, message: expect.stringMatching(/500/) });
    once.destroy();
  });

  it('passes the abort signal to the SDK: an aborted upload is an AbortError, not a SinkError', async () => {
    server.setLatency(2_000);
    try {
      const controller = new AbortController();
      const failure = s3Sink({ bucket, client }).put(
        png(0),
        context('exec-abort', { abortSignal: controller.signal }),
      );
      setTimeout(() => controller.abort(new Error('user pressed stop')), 100);
      const started = performance.now();
      const error = await failure.catch((caught: unknown) => caught);
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(SandplotError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ABORTED' });
    } finally {
      server.setLatency(0);
    }
  });

  it('makes keys unique per execution and lets no title steer them', async () => {
    const sink = s3Sink({ bucket, client, prefix: 'team-a/plots/' });
    const hostile = '../../../etc/passwd\r\nx-amz-acl: public-read';
    const first = await sink.put(png(0, hostile), context('exec-unique-1'));
    const second = await sink.put(png(0, hostile), context('exec-unique-2'));
    const third = await sink.put(png(1, 'figure-0'), context('exec-unique-1'));
    const keys = [first.key, second.key, third.key];
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) {
      expect(key).toMatch(
        /^team-a\/plots\/\d{4}\/\d{2}\/\d{2}\/exec-unique-[12]\/figure-[01]\.png$/,
      );
    }
    // All three objects exist side by side.
    for (const stored of [first, second, third]) {
      expect((await fetch(stored.url)).status).toBe(200);
    }
  });

  it('stores provenance metadata, sanitised to what S3 user metadata allows', async () => {
    const stored = await s3Sink({ bucket, client, metadata: { team: 'growth' } }).put(
      png(3, 'Ventes\nrégionales — 2024 📈\u0000\ttotal'),
      context('exec-meta', { sessionId: 'sess-42' }),
    );
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: stored.key as string }),
    );
    expect(head.Metadata).toEqual({
      team: 'growth',
      'execution-id': 'exec-meta',
      'session-id': 'sess-42',
      'figure-index': '3',
      title: 'Ventes regionales ? 2024 ? total',
    });
    // The title on the StoredFigure is left as the figure had it; only the metadata is sanitised.
    expect(stored.title).toBe('Ventes\nrégionales — 2024 📈\u0000\ttotal');

    const long = await s3Sink({ bucket, client }).put(
      png(0, 'x'.repeat(5_000)),
      context('exec-meta-long'),
    );
    const longHead = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: long.key as string }),
    );
    expect(longHead.Metadata?.title).toBe('x'.repeat(256));
  });

  it('stores Cache-Control', async () => {
    const stored = await s3Sink({ bucket, client, cacheControl: 'private, max-age=600' }).put(
      png(0),
      context('exec-cache'),
    );
    expect((await fetch(stored.url)).headers.get('cache-control')).toBe('private, max-age=600');
  });

  it('uses a key function, and refuses keys that could escape or confuse', async () => {
    const sink = s3Sink({
      bucket,
      client,
      key: (figure, sinkContext) => `custom/${sinkContext.executionId}/plot ${figure.index}.png`,
    });
    const stored = await sink.put(png(7), context('exec-custom'));
    expect(stored.key).toBe('custom/exec-custom/plot 7.png');
    expect((await fetch(stored.url)).status).toBe(200);

    const before = server.requests.length;
    const refused: [string, unknown][] = [
      ['/absolute.png', /starts with "\/"/],
      ['a/../../b.png', /"\." or "\.\." segment/],
      ['a/./b.png', /"\." or "\.\." segment/],
      ['', /is empty/],
      ['a\nb.png', /control characters/],
      ['x'.repeat(1_025), /longer than 1024 bytes/],
    ];
    for (const [key, reason] of refused) {
      const failure = s3Sink({ bucket, client, key: () => key }).put(png(0), context('exec-k'));
      await expect(failure).rejects.toBeInstanceOf(SinkError);
      await expect(failure).rejects.toThrow(reason as RegExp);
      await expect(failure).rejects.toThrow(/`key` option.*bucket figures/);
    }
    await expect(
      s3Sink({ bucket, client, key: () => 42 as unknown as string }).put(png(0), context('e')),
    ).rejects.toThrow(/not a string/);
    await expect(
      s3Sink({
        bucket,
        client,
        key: () => {
          throw new Error('no team for this user');
        },
      }).put(png(0), context('e')),
    ).rejects.toThrow(/`key` option threw.*no team for this user/);
    // None of the refused keys reached the server.
    expect(server.requests.length).toBe(before);
  });

  it('refuses an execution id that is not a plain identifier', async () => {
    await expect(s3Sink({ bucket, client }).put(png(0), context('../other-exec'))).rejects.toThrow(
      /refused execution id/,
    );
  });

  it('with presign: false, returns publicBaseUrl + key and no expiry', async () => {
    const sink = s3Sink({
      bucket,
      client,
      presign: false,
      publicBaseUrl: `${server.endpoint}/${bucket}`,
    });
    const stored = await sink.put(png(0), context('exec-public'));
    expect(stored.url).toBe(`${server.endpoint}/${bucket}/${stored.key}`);
    expect(stored.expiresAt).toBeUndefined();
    const { response, bytes } = await fetchBytes(stored.url);
    expect(response.status).toBe(200);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(tinyPng))).toBe(0);
    const seen = server.requests.filter((request) => request.url.includes('exec-public'));
    expect(seen.map((request) => [request.method, request.auth])).toEqual([
      ['PUT', 'header'],
      ['GET', 'anonymous'],
    ]);

    const spaced = await s3Sink({
      bucket,
      client,
      presign: false,
      publicBaseUrl: `${server.endpoint}/${bucket}/`,
      key: () => 'public/a b#c.png',
    }).put(png(0), context('exec-public-2'));
    expect(spaced.url).toBe(`${server.endpoint}/${bucket}/public/a%20b%23c.png`);
    expect((await fetch(spaced.url)).status).toBe(200);
  });

  it('builds its own client from region and clientConfig', async () => {
    const sink = s3Sink({
      bucket,
      region: server.region,
      clientConfig: {
        endpoint: server.endpoint,
        forcePathStyle: true,
        credentials: server.credentials,
      },
    });
    const stored = await sink.put(png(0), context('exec-own-client'));
    expect((await fetch(stored.url)).status).toBe(200);
  });

  it('uploads the figures of one execution in parallel, never more than maxConcurrentUploads', async () => {
    expect(s3Sink({ bucket, client }).concurrency).toBe(16);
    server.setLatency(300);
    try {
      const limited = s3Sink({ bucket, client, maxConcurrentUploads: 2 });
      expect(limited.concurrency).toBe(2);
      let started = performance.now();
      await Promise.all(
        [0, 1, 2, 3].map((index) => limited.put(png(index), context('exec-limited'))),
      );
      // Two rounds of two uploads.
      expect(performance.now() - started).toBeGreaterThanOrEqual(590);

      const wide = s3Sink({ bucket, client });
      started = performance.now();
      const stored = await Promise.all(
        Array.from({ length: 10 }, (_, index) => wide.put(png(index), context('exec-wide'))),
      );
      // One round of ten parallel uploads, far from the 3 s a sequential loop takes.
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(new Set(stored.map((figure) => figure.key)).size).toBe(10);
    } finally {
      server.setLatency(0);
    }
  });
});
