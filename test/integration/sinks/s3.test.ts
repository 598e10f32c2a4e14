import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors/index.js';
import { s3Sink } from '../../../src/s3.js';
import { pngSize, tinyPng } from '../../support/png.js';
import { pngFigure, sinkContext, useS3Bucket } from '../../support/s3-sink-fixtures.js';

const bucket = 'figures';
const s3 = useS3Bucket(bucket);

const svg = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
);
const jpeg = Uint8Array.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9,
]);

async function fetchBytes(url: string): Promise<{ response: Response; bytes: Uint8Array }> {
  const response = await fetch(url);
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

function utcDay(date: Date): string {
  return `${date.getUTCFullYear()}/${String(date.getUTCMonth() + 1).padStart(2, '0')}/${String(date.getUTCDate()).padStart(2, '0')}`;
}

describe('s3Sink against s3rver behind a SigV4-verifying proxy', () => {
  it('uploads a PNG and returns a presigned URL that downloads the same bytes', async () => {
    const sink = s3Sink({ bucket, client: s3.client });
    const before = new Date();
    const stored = await sink.put(pngFigure(0, 'Sales'), sinkContext('exec-png'));
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
      `figures/${utcDay(before)}/exec-png/figure-1.png`,
      `figures/${utcDay(after)}/exec-png/figure-1.png`,
    ]).toContain(stored.key);

    // The URL is signed in the query (not public) and expires in an hour, to the second.
    const url = new URL(stored.url);
    expect(url.origin).toBe(s3.server.endpoint);
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
    const seen = s3.server.requests.filter((request) => request.url.includes('exec-png'));
    expect(seen.map((request) => [request.method, request.auth, request.status])).toEqual([
      ['PUT', 'header', 200],
      ['GET', 'query', 200],
    ]);
  });

  it('stores SVG as an attachment unless allowInlineSvg, and JPEG with its own type', async () => {
    const stored = await s3Sink({ bucket, client: s3.client }).put(
      { index: 0, mediaType: 'image/svg+xml', data: svg },
      sinkContext('exec-svg'),
    );
    expect(stored.key).toMatch(/\/exec-svg\/figure-1\.svg$/);
    const attachment = await fetchBytes(stored.url);
    expect(attachment.response.headers.get('content-type')).toBe('image/svg+xml');
    expect(attachment.response.headers.get('content-disposition')).toBe(
      'attachment; filename="figure-1.svg"',
    );
    expect(Buffer.from(attachment.bytes).toString()).toBe(Buffer.from(svg).toString());

    const inline = await s3Sink({ bucket, client: s3.client, allowInlineSvg: true }).put(
      { index: 1, mediaType: 'image/svg+xml', data: svg },
      sinkContext('exec-svg-inline'),
    );
    const inlineResponse = await fetchBytes(inline.url);
    expect(inlineResponse.response.headers.get('content-type')).toBe('image/svg+xml');
    expect(inlineResponse.response.headers.get('content-disposition')).toBeNull();

    const photo = await s3Sink({ bucket, client: s3.client }).put(
      { index: 2, mediaType: 'image/jpeg', data: jpeg },
      sinkContext('exec-jpeg'),
    );
    expect(photo.key).toMatch(/\/exec-jpeg\/figure-3\.jpg$/);
    const photoResponse = await fetchBytes(photo.url);
    expect(photoResponse.response.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.compare(Buffer.from(photoResponse.bytes), Buffer.from(jpeg))).toBe(0);
  });

  it('refuses a tampered URL: another key, or another signature', async () => {
    const stored = await s3Sink({ bucket, client: s3.client }).put(
      pngFigure(0),
      sinkContext('exec-tamper'),
    );
    await s3Sink({ bucket, client: s3.client }).put(pngFigure(1), sinkContext('exec-tamper'));

    const otherKey = stored.url.replace('figure-1.png', 'figure-2.png');
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
    const stored = await s3Sink({ bucket, client: s3.client, expiresInSeconds: 1 }).put(
      pngFigure(0),
      sinkContext('exec-expiry'),
    );
    expect(new URL(stored.url).searchParams.get('X-Amz-Expires')).toBe('1');
    await sleep(Math.max(0, (stored.expiresAt as Date).getTime() - Date.now()) + 1_100);
    const response = await fetch(stored.url);
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/Request has expired/);
  });
  it('makes keys unique per execution and lets no title steer them', async () => {
    const sink = s3Sink({ bucket, client: s3.client, prefix: 'team-a/plots/' });
    const hostile = '../../../etc/passwd\r\nx-amz-acl: public-read';
    const first = await sink.put(pngFigure(0, hostile), sinkContext('exec-unique-1'));
    const second = await sink.put(pngFigure(0, hostile), sinkContext('exec-unique-2'));
    const third = await sink.put(pngFigure(1, 'figure-1'), sinkContext('exec-unique-1'));
    const keys = [first.key, second.key, third.key];
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) {
      expect(key).toMatch(
        /^team-a\/plots\/\d{4}\/\d{2}\/\d{2}\/exec-unique-[12]\/figure-[12]\.png$/,
      );
    }
    // All three objects exist side by side.
    for (const stored of [first, second, third]) {
      expect((await fetch(stored.url)).status).toBe(200);
    }
  });

  it('stores provenance metadata, sanitised to what S3 user metadata allows', async () => {
    const stored = await s3Sink({ bucket, client: s3.client, metadata: { team: 'growth' } }).put(
      pngFigure(3, 'Ventes\nrégionales — 2024 📈\u0000\ttotal'),
      sinkContext('exec-meta', { sessionId: 'sess-42' }),
    );
    const head = await s3.client.send(
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

    const long = await s3Sink({ bucket, client: s3.client }).put(
      pngFigure(0, 'x'.repeat(5_000)),
      sinkContext('exec-meta-long'),
    );
    const longHead = await s3.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: long.key as string }),
    );
    expect(longHead.Metadata?.title).toBe('x'.repeat(256));
  });

  it('stores Cache-Control', async () => {
    const stored = await s3Sink({
      bucket,
      client: s3.client,
      cacheControl: 'private, max-age=600',
    }).put(pngFigure(0), sinkContext('exec-cache'));
    expect((await fetch(stored.url)).headers.get('cache-control')).toBe('private, max-age=600');
  });

  it('uses a key function, and refuses keys that could escape or confuse', async () => {
    const sink = s3Sink({
      bucket,
      client: s3.client,
      key: (figure, sinkContext) => `custom/${sinkContext.executionId}/plot ${figure.index}.png`,
    });
    const stored = await sink.put(pngFigure(7), sinkContext('exec-custom'));
    expect(stored.key).toBe('custom/exec-custom/plot 7.png');
    expect((await fetch(stored.url)).status).toBe(200);

    const before = s3.server.requests.length;
    const refused: [string, unknown][] = [
      ['/absolute.png', /starts with "\/"/],
      ['a/../../b.png', /"\." or "\.\." segment/],
      ['a/./b.png', /"\." or "\.\." segment/],
      ['', /is empty/],
      ['a\nb.png', /control characters/],
      ['x'.repeat(1_025), /longer than 1024 bytes/],
    ];
    for (const [key, reason] of refused) {
      const failure = s3Sink({ bucket, client: s3.client, key: () => key }).put(
        pngFigure(0),
        sinkContext('exec-k'),
      );
      await expect(failure).rejects.toBeInstanceOf(SinkError);
      await expect(failure).rejects.toThrow(reason as RegExp);
      await expect(failure).rejects.toThrow(/`key` option.*bucket figures/);
    }
    await expect(
      s3Sink({ bucket, client: s3.client, key: () => 42 as unknown as string }).put(
        pngFigure(0),
        sinkContext('e'),
      ),
    ).rejects.toThrow(/not a string/);
    await expect(
      s3Sink({
        bucket,
        client: s3.client,
        key: () => {
          throw new Error('no team for this user');
        },
      }).put(pngFigure(0), sinkContext('e')),
    ).rejects.toThrow(/`key` option threw.*no team for this user/);
    // None of the refused keys reached the s3.server.
    expect(s3.server.requests.length).toBe(before);
  });

  it('refuses an execution id that is not a plain identifier', async () => {
    await expect(
      s3Sink({ bucket, client: s3.client }).put(pngFigure(0), sinkContext('../other-exec')),
    ).rejects.toThrow(/refused execution id/);
  });

  it('with presign: false, returns publicBaseUrl + key and no expiry', async () => {
    const sink = s3Sink({
      bucket,
      client: s3.client,
      presign: false,
      publicBaseUrl: `${s3.server.endpoint}/${bucket}`,
    });
    const stored = await sink.put(pngFigure(0), sinkContext('exec-public'));
    expect(stored.url).toBe(`${s3.server.endpoint}/${bucket}/${stored.key}`);
    expect(stored.expiresAt).toBeUndefined();
    const { response, bytes } = await fetchBytes(stored.url);
    expect(response.status).toBe(200);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(tinyPng))).toBe(0);
    const seen = s3.server.requests.filter((request) => request.url.includes('exec-public'));
    expect(seen.map((request) => [request.method, request.auth])).toEqual([
      ['PUT', 'header'],
      ['GET', 'anonymous'],
    ]);

    const spaced = await s3Sink({
      bucket,
      client: s3.client,
      presign: false,
      publicBaseUrl: `${s3.server.endpoint}/${bucket}/`,
      key: () => 'public/a b#c.png',
    }).put(pngFigure(0), sinkContext('exec-public-2'));
    expect(spaced.url).toBe(`${s3.server.endpoint}/${bucket}/public/a%20b%23c.png`);
    expect((await fetch(spaced.url)).status).toBe(200);
  });

  it('builds its own client from region and clientConfig', async () => {
    const sink = s3Sink({
      bucket,
      region: s3.server.region,
      clientConfig: {
        endpoint: s3.server.endpoint,
        forcePathStyle: true,
        credentials: s3.server.credentials,
      },
    });
    const stored = await sink.put(pngFigure(0), sinkContext('exec-own-client'));
    expect((await fetch(stored.url)).status).toBe(200);
  });

  it('uploads the figures of one execution in parallel, never more than maxConcurrentUploads', async () => {
    expect(s3Sink({ bucket, client: s3.client }).concurrency).toBe(16);
    s3.server.setLatency(300);
    try {
      const limited = s3Sink({ bucket, client: s3.client, maxConcurrentUploads: 2 });
      expect(limited.concurrency).toBe(2);
      let started = performance.now();
      await Promise.all(
        [0, 1, 2, 3].map((index) => limited.put(pngFigure(index), sinkContext('exec-limited'))),
      );
      // Two rounds of two uploads.
      expect(performance.now() - started).toBeGreaterThanOrEqual(590);

      const wide = s3Sink({ bucket, client: s3.client });
      started = performance.now();
      const stored = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          wide.put(pngFigure(index), sinkContext('exec-wide')),
        ),
      );
      // One round of ten parallel uploads, far from the 3 s a sequential loop takes.
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(new Set(stored.map((figure) => figure.key)).size).toBe(10);
    } finally {
      s3.server.setLatency(0);
    }
  });
});
