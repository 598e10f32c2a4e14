import { NoSuchBucket, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, SinkError } from '../../../src/errors/index.js';
import { s3Sink } from '../../../src/s3.js';
import type { S3SinkOptions } from '../../../src/sinks/s3.js';
import { tinyPng } from '../../support/png.js';

const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const s3 = mockClient(client);

afterEach(() => {
  s3.reset();
});

const figure = { index: 2, mediaType: 'image/png' as const, data: tinyPng };
const context = { executionId: 'exec-mock', reportProblem: () => {} };

function serviceError(name: string, status: number, fault: 'client' | 'server' = 'client') {
  return new S3ServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} from the service`,
  });
}

async function failureOf(error: unknown, options: Partial<S3SinkOptions> = {}): Promise<SinkError> {
  s3.on(PutObjectCommand).rejects(error as Error);
  const caught = await s3Sink({ bucket: 'reports', client, ...options })
    .put(figure, context)
    .catch((thrown: unknown) => thrown);
  expect(caught).toBeInstanceOf(SinkError);
  return caught as SinkError;
}

const key = /s3:\/\/reports\/figures\/\d{4}\/\d{2}\/\d{2}\/exec-mock\/figure-3\.png/;

describe('s3Sink error mapping', () => {
  it('AccessDenied: names bucket and key, points at credentials and s3:PutObject', async () => {
    const error = await failureOf(serviceError('AccessDenied', 403));
    expect(error.isRetryable).toBe(false);
    expect(error.sink).toBe('s3');
    expect(error.code).toBe('SINK_FAILED');
    expect(error.message).toMatch(key);
    expect(error.message).toMatch(/AccessDenied, 403/);
    expect(error.message).toMatch(/credentials.*s3:PutObject on arn:aws:s3:::reports\/figures\//);
    expect(error.message).not.toMatch(/kms/);
    expect(error.cause).toBeInstanceOf(S3ServiceException);
  });

  it('AccessDenied with KMS encryption also names kms:GenerateDataKey', async () => {
    const error = await failureOf(serviceError('AccessDenied', 403), {
      serverSideEncryption: 'aws:kms',
    });
    expect(error.message).toMatch(/kms:GenerateDataKey/);
  });

  it('expired credentials say to refresh them, not to fix permissions', async () => {
    for (const name of ['ExpiredToken', 'ExpiredTokenException']) {
      const error = await failureOf(serviceError(name, 400));
      expect(error.isRetryable).toBe(false);
      expect(error.message).toMatch(key);
      expect(error.message).toMatch(/expired: refresh them/);
      expect(error.message).not.toMatch(/IAM policy/);
      s3.reset();
    }
  });

  it('a skewed clock says to synchronise the clock', async () => {
    const error = await failureOf(serviceError('RequestTimeTooSkewed', 403));
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/RequestTimeTooSkewed, 403.*synchronise the clock/);
    expect(error.message).not.toMatch(/IAM policy/);
  });

  it('NoSuchBucket: points at the bucket option and region, not retryable', async () => {
    const error = await failureOf(
      new NoSuchBucket({ $metadata: { httpStatusCode: 404 }, message: 'The bucket is gone' }),
    );
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(key);
    expect(error.message).toMatch(/NoSuchBucket.*`bucket` option.*`region`/);
  });

  it('a bucket in another region points at the region option', async () => {
    const error = await failureOf(serviceError('PermanentRedirect', 301));
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/another region.*`region` option/);
  });

  it('SlowDown and 429 are retryable throttling', async () => {
    for (const error of [
      serviceError('SlowDown', 503, 'server'),
      serviceError('TooManyRequests', 429),
    ]) {
      const mapped = await failureOf(error);
      expect(mapped.isRetryable).toBe(true);
      expect(mapped.message).toMatch(/throttling.*maxConcurrentUploads/);
      s3.reset();
    }
  });

  it('500 InternalError and other 5xx are retryable', async () => {
    for (const status of [500, 502, 504]) {
      const mapped = await failureOf(serviceError('InternalError', status, 'server'));
      expect(mapped.isRetryable).toBe(true);
      expect(mapped.message).toMatch(new RegExp(`InternalError, ${status}.*try again`));
      s3.reset();
    }
  });

  it('SDK timeouts and network errors are retryable and point at timeoutMs / the network', async () => {
    const timeout = Object.assign(new Error('Connection timed out after 5000 ms'), {
      name: 'TimeoutError',
    });
    const timedOut = await failureOf(timeout);
    expect(timedOut.isRetryable).toBe(true);
    expect(timedOut.message).toMatch(/`timeoutMs`/);
    s3.reset();

    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
      code: 'ECONNREFUSED',
    });
    const down = await failureOf(refused);
    expect(down.isRetryable).toBe(true);
    expect(down.message).toMatch(key);
    expect(down.message).toMatch(/ECONNREFUSED.*network path/);
    s3.reset();

    // Happy-eyeballs connection failures arrive as an AggregateError.
    const aggregate = new AggregateError([refused], 'AggregateError');
    expect((await failureOf(aggregate)).message).toMatch(/ECONNREFUSED/);
    s3.reset();

    const unknownHost = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere'), {
      code: 'ENOTFOUND',
    });
    const dns = await failureOf(unknownHost);
    expect(dns.isRetryable).toBe(false);
    expect(dns.message).toMatch(/does not resolve.*clientConfig\.endpoint/);
  });

  it('missing credentials name the fix', async () => {
    const error = await failureOf(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/No AWS credentials.*clientConfig\.credentials/);
  });

  it('sends one PutObject with the type, disposition, encryption, cache and metadata', async () => {
    s3.on(PutObjectCommand).resolves({});
    const sink = s3Sink({
      bucket: 'reports',
      client,
      prefix: '',
      serverSideEncryption: 'aws:kms',
      sseKmsKeyId: 'alias/figures',
      cacheControl: 'private, max-age=60',
      metadata: { team: 'growth' },
    });
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
    const stored = await sink.put(
      { index: 0, mediaType: 'image/svg+xml', data: svg, title: 'Q3' },
      { executionId: 'exec-1', sessionId: 'sess-1', reportProblem: () => {} },
    );
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toEqual({
      Bucket: 'reports',
      Key: stored.key,
      Body: svg,
      ContentType: 'image/svg+xml',
      ContentDisposition: 'attachment; filename="figure-1.svg"',
      CacheControl: 'private, max-age=60',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/figures',
      Metadata: {
        team: 'growth',
        'execution-id': 'exec-1',
        'session-id': 'sess-1',
        'figure-index': '0',
        title: 'Q3',
      },
    });
    // The body is the bytes themselves, not a stream.
    expect(input?.Body).toBeInstanceOf(Uint8Array);
    expect(stored.key).toMatch(/^\d{4}\/\d{2}\/\d{2}\/exec-1\/figure-1\.svg$/);
    // Presigned against the real AWS endpoint for the client's region.
    expect(stored.url).toMatch(
      /^https:\/\/reports\.s3\.eu-west-1\.amazonaws\.com\/\d{4}\/\d{2}\/\d{2}\/exec-1\/figure-1\.svg\?.*X-Amz-Signature=/,
    );
  });
});

describe('s3Sink options', () => {
  const invalid: [string, unknown, RegExp][] = [
    ['a missing bucket', {}, /`bucket` is required/],
    ['a bucket with a slash', { bucket: 'a/b' }, /`bucket` must be a bucket name/],
    [
      'expiresInSeconds over 7 days',
      { bucket: 'b1b', expiresInSeconds: 604_801 },
      /`expiresInSeconds` must be at most 604800/,
    ],
    ['expiresInSeconds 0', { bucket: 'b1b', expiresInSeconds: 0 }, /`expiresInSeconds`/],
    ['fractional expiresInSeconds', { bucket: 'b1b', expiresInSeconds: 1.5 }, /`expiresInSeconds`/],
    ['presign false alone', { bucket: 'b1b', presign: false }, /`publicBaseUrl` is required/],
    [
      'publicBaseUrl with presigning',
      { bucket: 'b1b', publicBaseUrl: 'https://cdn.example/' },
      /`presign` must be false/,
    ],
    [
      'a non-http publicBaseUrl',
      { bucket: 'b1b', presign: false, publicBaseUrl: 'ftp://x/' },
      /`publicBaseUrl` must be an http\(s\) URL/,
    ],
    ['sseKmsKeyId without aws:kms', { bucket: 'b1b', sseKmsKeyId: 'k' }, /`sseKmsKeyId` needs/],
    [
      'an unknown encryption',
      { bucket: 'b1b', serverSideEncryption: 'rot13' },
      /`serverSideEncryption`/,
    ],
    [
      'client with region',
      { bucket: 'b1b', client, region: 'us-east-1' },
      /`client` cannot be combined/,
    ],
    ['a client that is not one', { bucket: 'b1b', client: {} }, /`client` must be an S3Client/],
    ['a prefix with ..', { bucket: 'b1b', prefix: 'a/../b/' }, /`prefix` must not/],
    ['a prefix with a leading /', { bucket: 'b1b', prefix: '/figures/' }, /`prefix` must not/],
    [
      'a reserved metadata key',
      { bucket: 'b1b', metadata: { Title: 'x' } },
      /`metadata` must not set the reserved keys/,
    ],
    [
      'a non-ASCII metadata value',
      { bucket: 'b1b', metadata: { team: 'é' } },
      /`metadata.team` values must be printable ASCII/,
    ],
    ['oversized metadata', { bucket: 'b1b', metadata: { team: 'x'.repeat(2_000) } }, /1024 bytes/],
    [
      'a key that is not a function',
      { bucket: 'b1b', key: 'figures/x.png' },
      /`key` must be a function/,
    ],
    ['an unknown option', { bucket: 'b1b', expiresIn: 60 }, /unknown option `expiresIn`/],
    [
      'a metadata key with a space',
      { bucket: 'b1b', metadata: { 'bad key': 'x' } },
      /`metadata` has an invalid key "bad key"/,
    ],
    [
      'maxConcurrentUploads 0',
      { bucket: 'b1b', maxConcurrentUploads: 0 },
      /`maxConcurrentUploads`/,
    ],
    ['a negative timeoutMs', { bucket: 'b1b', timeoutMs: -1 }, /`timeoutMs`/],
  ];
  for (const [what, options, message] of invalid) {
    it(`refuses ${what} with a ConfigError naming the option`, () => {
      let caught: unknown;
      try {
        s3Sink(options as S3SinkOptions);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).toMatch(message);
    });
  }

  it('accepts the largest expiry and an access point ARN', () => {
    expect(
      s3Sink({
        bucket: 'arn:aws:s3:eu-west-1:123456789012:accesspoint/figures',
        client,
        expiresInSeconds: 604_800,
      }).name,
    ).toBe('s3');
  });
});
