import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BedrockAgentCoreClient,
  ResourceNotFoundException,
  RetryableConflictException,
  StartCodeInterpreterSessionCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-agentcore';
import { NoSuchBucket, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsErrorCategory,
  describeAwsError,
  isTransientNetworkCode,
  TRANSIENT_NETWORK_CODES,
} from '../../../src/internal/aws-errors.js';

const metadata = { $metadata: {} };

function s3Error(name: string, status: number, message = `${name} from the service`) {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}

function withCode(message: string, code: string) {
  return Object.assign(new Error(message), { code });
}

function named(name: string, message = name) {
  return Object.assign(new Error(message), { name });
}

describe('describeAwsError', () => {
  const cases: [string, unknown, AwsErrorCategory][] = [
    [
      'missing credentials',
      named('CredentialsProviderError', 'Could not load credentials'),
      'credentials-missing',
    ],
    [
      'a credentials message without the name',
      new Error('Could not load credentials from any providers'),
      'credentials-missing',
    ],
    ['ExpiredToken', s3Error('ExpiredToken', 400), 'credentials-expired'],
    ['ExpiredTokenException', s3Error('ExpiredTokenException', 403), 'credentials-expired'],
    ['RequestExpired', s3Error('RequestExpired', 400), 'credentials-expired'],
    ['RequestTimeTooSkewed', s3Error('RequestTimeTooSkewed', 403), 'clock-skew'],
    [
      'SignatureDoesNotMatch with an expired signature time',
      s3Error(
        'SignatureDoesNotMatch',
        403,
        'Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)',
      ),
      'clock-skew',
    ],
    [
      'InvalidSignatureException mentioning the time',
      s3Error(
        'InvalidSignatureException',
        403,
        'Signature not yet current: 20260101T010000Z is still later than 20260101T001500Z',
      ),
      'clock-skew',
    ],
    [
      'SignatureDoesNotMatch from a wrong secret',
      s3Error(
        'SignatureDoesNotMatch',
        403,
        'The request signature we calculated does not match the signature you provided.',
      ),
      'access-denied',
    ],
    ['AccessDenied', s3Error('AccessDenied', 403), 'access-denied'],
    ['any 403', s3Error('SomethingNew', 403), 'access-denied'],
    [
      'NoSuchBucket',
      new NoSuchBucket({ $metadata: { httpStatusCode: 404 }, message: 'gone' }),
      'not-found',
    ],
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({ message: 'gone', ...metadata }),
      'not-found',
    ],
    ['a bare 404', s3Error('NotFound', 404), 'not-found'],
    [
      'ThrottlingException',
      new ThrottlingException({ message: 'Rate exceeded', ...metadata }),
      'throttled',
    ],
    ['SlowDown 503', s3Error('SlowDown', 503), 'throttled'],
    ['any 429', s3Error('TooManyRequests', 429), 'throttled'],
    [
      'the SDK TimeoutError',
      named('TimeoutError', 'Connection timed out after 5000 ms'),
      'timeout',
    ],
    ['ETIMEDOUT', withCode('connect ETIMEDOUT', 'ETIMEDOUT'), 'timeout'],
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'), 'network'],
    ['ENOTFOUND', withCode('getaddrinfo ENOTFOUND nowhere', 'ENOTFOUND'), 'network'],
    ['ECONNRESET', withCode('read ECONNRESET', 'ECONNRESET'), 'connection-dropped'],
    ['a socket hang up without a code', new Error('socket hang up'), 'connection-dropped'],
    ['500 InternalError', s3Error('InternalError', 500), 'server'],
    ['502', s3Error('BadGateway', 502), 'server'],
    [
      'ValidationException',
      new ValidationException({ message: 'bad', reason: 'FieldValidationFailed', ...metadata }),
      'validation',
    ],
    ['an abort', named('AbortError', 'This operation was aborted'), 'aborted'],
    ['a plain error', new Error('something else'), 'other'],
    ['a thrown string', 'boom', 'other'],
  ];
  for (const [what, error, category] of cases) {
    it(`reads ${what} as ${category}`, () => {
      expect(describeAwsError(error).category).toBe(category);
    });
  }

  it('reads name, message, HTTP status and the SDK retryable mark', () => {
    const throttled = new ThrottlingException({
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 429 },
    });
    expect(describeAwsError(throttled)).toEqual({
      category: 'throttled',
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      httpStatus: 429,
      networkCode: undefined,
      sdkRetryable: false,
    });
    const conflict = new RetryableConflictException({ message: 'busy', ...metadata });
    expect(describeAwsError(conflict)).toMatchObject({ category: 'other', sdkRetryable: true });
    expect(describeAwsError('boom')).toMatchObject({
      name: '',
      message: 'boom',
      sdkRetryable: false,
    });
  });

  it('finds the network code through cause and AggregateError', () => {
    const refused = withCode('connect ECONNREFUSED 10.0.0.1:443', 'ECONNREFUSED');
    const aggregate = new AggregateError([new Error('first'), refused], 'AggregateError');
    expect(describeAwsError(aggregate)).toMatchObject({
      category: 'network',
      networkCode: 'ECONNREFUSED',
    });
    const wrapped = new Error('request failed', { cause: new Error('inner', { cause: refused }) });
    expect(describeAwsError(wrapped).networkCode).toBe('ECONNREFUSED');
  });
});

describe('isTransientNetworkCode', () => {
  it('is true for failures the same request may get past, false for configuration errors', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'EAI_AGAIN',
      'EHOSTUNREACH',
    ]) {
      expect(isTransientNetworkCode(code)).toBe(true);
      expect(TRANSIENT_NETWORK_CODES.has(code)).toBe(true);
    }
    expect(isTransientNetworkCode('ENOTFOUND')).toBe(false);
    expect(isTransientNetworkCode(undefined)).toBe(false);
  });
});

describe('describeAwsError on what the real SDK throws', () => {
  // A loopback server answering every request with one canned error, as S3 or AgentCore would.
  let answer: { status: number; headers: Record<string, string>; body: string };
  let server: Server;
  let endpoint: string;
  const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function s3Failure(code: string, status: number, message: string) {
    answer = {
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    };
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
    });
    try {
      return await client
        .send(new PutObjectCommand({ Bucket: 'figures', Key: 'a.png', Body: new Uint8Array(1) }))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
    } finally {
      client.destroy();
    }
  }

  it('S3: a skewed clock, expired credentials and a denial are told apart', async () => {
    const skewed = describeAwsError(
      await s3Failure(
        'RequestTimeTooSkewed',
        403,
        'The difference between the request time and the current time is too large.',
      ),
    );
    expect(skewed).toMatchObject({
      category: 'clock-skew',
      name: 'RequestTimeTooSkewed',
      httpStatus: 403,
    });
    const expired = describeAwsError(
      await s3Failure('ExpiredToken', 400, 'The provided token has expired.'),
    );
    expect(expired).toMatchObject({ category: 'credentials-expired', httpStatus: 400 });
    const denied = describeAwsError(await s3Failure('AccessDenied', 403, 'Access Denied'));
    expect(denied).toMatchObject({ category: 'access-denied', name: 'AccessDenied' });
  });

  it('AgentCore: a JSON error type and its status are read', async () => {
    answer = {
      status: 403,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': 'InvalidSignatureException',
      },
      body: JSON.stringify({
        message:
          'Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)',
      }),
    };
    const client = new BedrockAgentCoreClient({
      endpoint,
      region: 'us-west-2',
      credentials,
      maxAttempts: 1,
    });
    const error = await client
      .send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: 'aws.codeinterpreter.v1',
        }),
      )
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    client.destroy();
    expect(describeAwsError(error)).toMatchObject({
      category: 'clock-skew',
      name: 'InvalidSignatureException',
      httpStatus: 403,
    });
  });

  it('a closed port is a transient network failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      maxAttempts: 1,
    });
    const error = await client
      .send(new PutObjectCommand({ Bucket: 'figures', Key: 'a.png', Body: new Uint8Array(1) }))
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    client.destroy();
    const failure = describeAwsError(error);
    expect(failure).toMatchObject({ category: 'network', networkCode: 'ECONNREFUSED' });
    expect(isTransientNetworkCode(failure.networkCode)).toBe(true);
  });
});
