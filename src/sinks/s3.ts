import {
  GetObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { AbortError, ConfigError, errorMessage, SinkError } from '../errors/index.js';
import type { CapturedFigure, StoredFigure } from '../types/index.js';
import { extensionFor } from './media.js';
import type { ImageSink, ImageSinkContext } from './types.js';

/** Server-side encryption S3 applies to each uploaded figure. */
export type S3ServerSideEncryption = 'AES256' | 'aws:kms';

/**
 * Chooses the whole object key of a figure (the `prefix` is not added). Its result is checked:
 * non-empty, at most 1024 bytes, no leading `/`, no `.` or `..` segments, no control characters.
 */
export type S3KeyFunction = (figure: CapturedFigure, context: ImageSinkContext) => string;

export interface S3SinkOptions {
  /** Bucket the figures are uploaded to (a bucket name or an access point ARN). */
  bucket: string;
  /**
   * Put in front of every default key, verbatim (include the trailing `/` for a folder).
   * @default 'figures/'
   */
  prefix?: string;
  /**
   * An S3Client of your own (credentials, endpoint, retries, proxy). Not combined with `region`
   * or `clientConfig`.
   * @default a new S3Client built from `region` and `clientConfig`
   */
  client?: S3Client;
  /**
   * Region of the bucket, for the S3Client the sink builds.
   * @default the SDK's own resolution (AWS_REGION, the shared config file)
   */
  region?: string;
  /**
   * Further configuration for the S3Client the sink builds (credentials, endpoint, forcePathStyle...).
   * @default {}
   */
  clientConfig?: S3ClientConfig;
  /**
   * Give each figure a presigned GET URL. Set to `false` together with `publicBaseUrl` for a
   * public bucket or a CloudFront distribution.
   * @default true
   */
  presign?: boolean;
  /**
   * How long a presigned URL works, in seconds; S3 allows at most 604800 (7 days). A URL signed
   * with temporary credentials stops working when those credentials expire, whichever is sooner.
   * @default 3600
   */
  expiresInSeconds?: number;
  /**
   * With `presign: false`: the figure's URL is this base followed by the key, e.g.
   * `https://d111111abcdef8.cloudfront.net/`.
   * @default undefined (required when `presign` is false)
   */
  publicBaseUrl?: string;
  /** @default undefined (the bucket's default encryption applies) */
  serverSideEncryption?: S3ServerSideEncryption;
  /**
   * KMS key for `serverSideEncryption: 'aws:kms'`.
   * @default undefined (the AWS managed key aws/s3)
   */
  sseKmsKeyId?: string;
  /**
   * Cache-Control stored with each figure, e.g. `'private, max-age=3600'`.
   * @default undefined
   */
  cacheControl?: string;
  /**
   * Extra user metadata stored with each figure: keys of letters, digits, `-`, `_`, `.`; values of
   * printable ASCII; 1024 bytes in all. The sink always adds `execution-id`, `session-id`,
   * `figure-index` and `title`, which are reserved.
   * @default {}
   */
  metadata?: Record<string, string>;
  /**
   * Overrides the key layout `{prefix}{yyyy}/{mm}/{dd}/{executionId}/figure-{index}.{ext}`.
   * @default undefined (the layout above, UTC date)
   */
  key?: S3KeyFunction;
  /**
   * Store SVG figures without `Content-Disposition: attachment`, so browsers render them inline.
   * An SVG opened inline from a bucket runs its scripts in the bucket's origin: stored XSS.
   * @default false
   */
  allowInlineSvg?: boolean;
  /**
   * Time for one upload, including the SDK's retries; past it the upload fails with a retryable
   * SinkError.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Uploads this sink runs at the same time, across all executions that share it. CodeSandbox
   * stores that many figures of one execution in parallel (`concurrency`).
   * @default 16
   */
  maxConcurrentUploads?: number;
}

/** An ImageSink that uploads to S3 and says how many uploads it runs in parallel. */
export interface S3Sink extends ImageSink {
  readonly name: 's3';
  /** How many `put` calls are worth running at once; equals `maxConcurrentUploads`. */
  readonly concurrency: number;
  readonly bucket: string;
}

const maximumExpiresInSeconds = 604_800;
const metadataBudgetBytes = 1024;
const titleMaximumLength = 256;
const identifierMaximumLength = 128;
const reservedMetadataKeys = ['execution-id', 'session-id', 'figure-index', 'title'];

const printableAscii = /^[\x20-\x7e]*$/;

const keyText = z
  .string()
  .max(1024)
  .refine((value) => keyProblem(value, { allowEmpty: true }) === undefined, {
    message: 'must not start with "/", contain "." or ".." segments, or control characters',
  });

const optionsSchema = z
  .object({
    bucket: z
      .string({ message: 'is required: the bucket figures are uploaded to' })
      .regex(/^(arn:\S+|[A-Za-z0-9._-]{3,255})$/, {
        message: 'must be a bucket name such as "my-figures" or an access point ARN',
      }),
    prefix: keyText.optional(),
    client: z
      .custom<S3Client>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { send?: unknown }).send === 'function',
        { message: 'must be an S3Client from @aws-sdk/client-s3' },
      )
      .optional(),
    region: z.string().min(1).optional(),
    clientConfig: z
      .custom<S3ClientConfig>((value) => typeof value === 'object' && value !== null, {
        message: 'must be an S3ClientConfig object',
      })
      .optional(),
    presign: z.boolean().optional(),
    expiresInSeconds: z
      .number()
      .int({ message: 'must be a whole number of seconds' })
      .min(1, { message: 'must be at least 1' })
      .max(maximumExpiresInSeconds, {
        message: `must be at most ${maximumExpiresInSeconds} (7 days), the longest S3 allows`,
      })
      .optional(),
    publicBaseUrl: z
      .string()
      .refine((value) => /^https?:$/.test(safeUrl(value)?.protocol ?? ''), {
        message: 'must be an http(s) URL',
      })
      .optional(),
    serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
    sseKmsKeyId: z.string().min(1).optional(),
    cacheControl: z
      .string()
      .min(1)
      .max(1024)
      .regex(printableAscii, { message: 'must be printable ASCII' })
      .optional(),
    metadata: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
          message: 'keys must be letters, digits, "-", "_" and "."',
        }),
        z.string().regex(printableAscii, { message: 'values must be printable ASCII' }),
      )
      .refine(
        (value) =>
          !Object.keys(value).some((key) => reservedMetadataKeys.includes(key.toLowerCase())),
        { message: `must not set the reserved keys ${reservedMetadataKeys.join(', ')}` },
      )
      .refine(
        (value) =>
          Object.entries(value).reduce(
            (total, [key, entry]) => total + key.length + entry.length,
            0,
          ) <= metadataBudgetBytes,
        { message: `must stay within ${metadataBudgetBytes} bytes (keys and values)` },
      )
      .optional(),
    key: z
      .custom<S3KeyFunction>((value) => typeof value === 'function', {
        message: 'must be a function (figure, context) => string',
      })
      .optional(),
    allowInlineSvg: z.boolean().optional(),
    timeoutMs: z.number().int().positive().max(3_600_000).optional(),
    maxConcurrentUploads: z.number().int().positive().max(1024).optional(),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.client && (options.region !== undefined || options.clientConfig !== undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['client'],
        message: 'cannot be combined with `region` or `clientConfig`: configure your own client',
      });
    }
    if (options.presign === false && options.publicBaseUrl === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['publicBaseUrl'],
        message:
          'is required with `presign: false`: the public bucket or CloudFront URL figures are served from',
      });
    }
    if (options.presign !== false && options.publicBaseUrl !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['presign'],
        message: 'must be false when `publicBaseUrl` is set (public URLs are not signed)',
      });
    }
    if (options.presign === false && options.expiresInSeconds !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['expiresInSeconds'],
        message: 'only applies to presigned URLs; remove it or set `presign: true`',
      });
    }
    if (options.sseKmsKeyId !== undefined && options.serverSideEncryption !== 'aws:kms') {
      context.addIssue({
        code: 'custom',
        path: ['sseKmsKeyId'],
        message: "needs `serverSideEncryption: 'aws:kms'`",
      });
    }
  });

/**
 * Uploads each figure to S3 and returns a presigned GET URL (or a public URL), so an agent shares
 * links instead of pushing base64 into the model's context. Keys come only from the date, the
 * random execution id and the figure's position: nothing the sandboxed code prints can steer them.
 */
export function s3Sink(options: S3SinkOptions): S3Sink {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError(describeIssue(parsed.error.issues[0]), { cause: parsed.error });
  }
  const settings = parsed.data;
  const bucket = settings.bucket;
  const prefix = settings.prefix ?? 'figures/';
  const expiresInSeconds = settings.expiresInSeconds ?? 3600;
  const timeoutMs = settings.timeoutMs ?? 30_000;
  const concurrency = settings.maxConcurrentUploads ?? 16;
  const publicBaseUrl =
    settings.publicBaseUrl === undefined
      ? undefined
      : settings.publicBaseUrl.endsWith('/')
        ? settings.publicBaseUrl
        : `${settings.publicBaseUrl}/`;
  const client =
    settings.client ??
    new S3Client({
      ...settings.clientConfig,
      ...(settings.region === undefined ? {} : { region: settings.region }),
    });
  const limiter = createLimiter(concurrency);

  function keyFor(figure: CapturedFigure, context: ImageSinkContext): string {
    if (settings.key) {
      let chosen: unknown;
      try {
        chosen = settings.key(figure, context);
      } catch (error) {
        throw new SinkError(
          's3',
          `s3Sink's \`key\` option threw for figure ${figure.index} (bucket ${bucket}): ${errorMessage(error)}.`,
          { cause: error },
        );
      }
      const problem =
        typeof chosen === 'string' ? keyProblem(chosen, { allowEmpty: false }) : 'is not a string';
      if (problem !== undefined) {
        throw new SinkError(
          's3',
          `s3Sink's \`key\` option returned ${JSON.stringify(chosen)} for figure ${figure.index} (bucket ${bucket}), which ${problem}. Return a relative key such as "team/figure-1.png".`,
        );
      }
      return chosen as string;
    }
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(context.executionId)) {
      throw new SinkError(
        's3',
        `s3Sink refused execution id ${JSON.stringify(context.executionId)} (bucket ${bucket}): ids must be 1-128 letters, digits, _ and -.`,
      );
    }
    if (!Number.isSafeInteger(figure.index) || figure.index < 0) {
      throw new SinkError(
        's3',
        `s3Sink refused figure index ${JSON.stringify(figure.index)} (bucket ${bucket}): it must be a non-negative integer.`,
      );
    }
    const now = new Date();
    const date = `${now.getUTCFullYear()}/${twoDigits(now.getUTCMonth() + 1)}/${twoDigits(now.getUTCDate())}`;
    return `${prefix}${date}/${context.executionId}/figure-${figure.index}.${extensionFor(figure.mediaType)}`;
  }

  function metadataFor(figure: CapturedFigure, context: ImageSinkContext): Record<string, string> {
    const metadata: Record<string, string> = {
      ...settings.metadata,
      'execution-id': metadataValue(context.executionId, identifierMaximumLength),
      'figure-index': String(figure.index),
    };
    const sessionId = metadataValue(context.sessionId ?? '', identifierMaximumLength);
    if (sessionId) metadata['session-id'] = sessionId;
    const title = metadataValue(figure.title ?? '', titleMaximumLength);
    if (title) metadata.title = title;
    return metadata;
  }

  async function upload(
    input: PutObjectCommandInput,
    figure: CapturedFigure,
    key: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<void> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const forwardAbort = () => controller.abort(abortSignal?.reason);
    abortSignal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      await client.send(new PutObjectCommand(input), { abortSignal: controller.signal });
    } catch (error) {
      if (abortSignal?.aborted) {
        throw new AbortError(
          `The upload of figure ${figure.index} to s3://${bucket}/${key} was aborted by the abortSignal.`,
          { cause: abortSignal.reason },
        );
      }
      if (timedOut) {
        throw new SinkError(
          's3',
          `s3Sink timed out after ${timeoutMs} ms uploading figure ${figure.index} to s3://${bucket}/${key}. Raise the \`timeoutMs\` option or check the network path to S3.`,
          { cause: error, isRetryable: true },
        );
      }
      throw describeFailure(error, {
        action: `upload figure ${figure.index} to`,
        bucket,
        key,
        kms: settings.serverSideEncryption === 'aws:kms',
      });
    } finally {
      clearTimeout(timer);
      abortSignal?.removeEventListener('abort', forwardAbort);
    }
  }

  async function urlFor(key: string): Promise<{ url: string; expiresAt?: Date }> {
    if (publicBaseUrl !== undefined) {
      return { url: publicBaseUrl + key.split('/').map(encodeURIComponent).join('/') };
    }
    // X-Amz-Date has whole seconds, so sign at a whole second to make expiresAt exact.
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    try {
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: expiresInSeconds,
        signingDate,
      });
      return { url, expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000) };
    } catch (error) {
      throw describeFailure(error, { action: 'presign a URL for', bucket, key, kms: false });
    }
  }

  return {
    name: 's3',
    concurrency,
    bucket,
    async put(figure, context): Promise<StoredFigure> {
      const key = keyFor(figure, context);
      const isSvg = figure.mediaType === 'image/svg+xml';
      const input: PutObjectCommandInput = {
        Bucket: bucket,
        Key: key,
        // A Uint8Array, never a stream: with flexible checksums a streamed body is sent
        // aws-chunked, which S3-compatible servers (s3rver) store corrupted.
        Body: figure.data,
        ContentType: figure.mediaType,
        Metadata: metadataFor(figure, context),
        ...(isSvg && settings.allowInlineSvg !== true
          ? { ContentDisposition: `attachment; filename="figure-${figure.index}.svg"` }
          : {}),
        ...(settings.cacheControl === undefined ? {} : { CacheControl: settings.cacheControl }),
        ...(settings.serverSideEncryption === undefined
          ? {}
          : { ServerSideEncryption: settings.serverSideEncryption }),
        ...(settings.sseKmsKeyId === undefined ? {} : { SSEKMSKeyId: settings.sseKmsKeyId }),
      };
      await limiter.run(context.abortSignal, `figure ${figure.index}`, () =>
        upload(input, figure, key, context.abortSignal),
      );
      const { url, expiresAt } = await urlFor(key);
      const { data, ...rest } = figure;
      return {
        ...rest,
        sink: 's3',
        url,
        key,
        byteLength: data.byteLength,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
    },
  };
}

/** One zod issue as a sentence that names the option. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 's3Sink options are invalid.';
  if (issue.code === 'unrecognized_keys') {
    return `s3Sink has no option ${issue.keys.map((key) => `\`${key}\``).join(', ')}; see S3SinkOptions.`;
  }
  const [option = 'options', ...rest] = issue.path.map(String);
  if (option === 'metadata' && issue.code === 'invalid_key') {
    return `s3Sink option \`metadata\` has the key ${JSON.stringify(rest[0])}: keys must be letters, digits, "-", "_" and ".".`;
  }
  const where = [option, ...rest].join('.');
  const message = /^[A-Z]/.test(issue.message) ? `: ${issue.message}` : ` ${issue.message}`;
  return `s3Sink option \`${where}\`${message}.`;
}

/** Why a key cannot be used, or undefined when it can. */
function keyProblem(key: string, { allowEmpty }: { allowEmpty: boolean }): string | undefined {
  if (key === '') return allowEmpty ? undefined : 'is empty';
  if (Buffer.byteLength(key, 'utf8') > 1024) return 'is longer than 1024 bytes';
  if (key.startsWith('/')) return 'starts with "/"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (/[\x00-\x1f\x7f]/.test(key)) return 'contains control characters';
  // Path-normalising layers (browsers, CDNs, proxies) would resolve these to another object.
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'has a "." or ".." segment';
  }
  return undefined;
}

/**
 * What S3 user metadata can carry: printable ASCII (values travel as HTTP headers), one line,
 * bounded. Accents are dropped rather than lost (é → e); other characters become "?".
 */
function metadataValue(text: string, maximumLength: number): string {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are replaced.
      .replace(/[\x00-\x1f\x7f]+/g, ' ')
      .replace(/[^\x20-\x7e]/gu, '?')
      .replace(/ {2,}/g, ' ')
      .trim()
      .slice(0, maximumLength)
  );
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

interface Limiter {
  run<T>(abortSignal: AbortSignal | undefined, what: string, task: () => Promise<T>): Promise<T>;
}

/** At most `maximum` tasks at once, first come first served; a waiter can be aborted. */
function createLimiter(maximum: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const acquire = (abortSignal: AbortSignal | undefined, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (abortSignal?.aborted) {
        reject(
          new AbortError(`The upload of ${what} was aborted by the abortSignal.`, {
            cause: abortSignal.reason,
          }),
        );
        return;
      }
      if (active < maximum) {
        active++;
        resolve();
        return;
      }
      const onAbort = () => {
        const position = waiting.indexOf(grant);
        if (position !== -1) waiting.splice(position, 1);
        reject(
          new AbortError(`The upload of ${what} was aborted by the abortSignal.`, {
            cause: abortSignal?.reason,
          }),
        );
      };
      // The slot passes straight from the releasing task to this one; `active` stays the same.
      const grant = () => {
        abortSignal?.removeEventListener('abort', onAbort);
        resolve();
      };
      abortSignal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(grant);
    });
  return {
    async run(abortSignal, what, task) {
      await acquire(abortSignal, what);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

const throttlingNames = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const accessNames = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AllAccessDisabled',
  'KMS.AccessDeniedException',
]);
const regionNames = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);
const timeoutNames = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const retryableNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

interface FailureContext {
  action: string;
  bucket: string;
  key: string;
  kms: boolean;
}

/** Turns what the SDK threw into a SinkError that names bucket, key and the likely fix. */
function describeFailure(error: unknown, context: FailureContext): SinkError {
  const details = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $fault?: unknown;
    $retryable?: unknown;
  };
  const name = typeof details?.name === 'string' ? details.name : '';
  const status =
    typeof details?.$metadata?.httpStatusCode === 'number'
      ? details.$metadata.httpStatusCode
      : undefined;
  const networkCode = findNetworkCode(error);
  const where = `s3Sink could not ${context.action} s3://${context.bucket}/${context.key}`;
  const label = [
    ...new Set([name === 'Error' || name === 'AggregateError' ? '' : name, networkCode, status]),
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
  const said = `${where}: ${errorMessage(error)}${label ? ` (${label})` : ''}.`;
  const fail = (fix: string, isRetryable: boolean) =>
    new SinkError('s3', `${said} ${fix}`, { cause: error, isRetryable });

  if (
    name === 'CredentialsProviderError' ||
    /could not load credentials/i.test(errorMessage(error))
  ) {
    return fail(
      'No AWS credentials were found: configure them (environment, profile, role) or pass `client` or `clientConfig.credentials`.',
      false,
    );
  }
  if (/region is missing/i.test(errorMessage(error))) {
    return fail("Set the `region` option (or AWS_REGION) to the bucket's region.", false);
  }
  if (name === 'NoSuchBucket') {
    return fail(
      `The bucket ${context.bucket} does not exist where the client looked: check the \`bucket\` option and the \`region\` (or endpoint).`,
      false,
    );
  }
  if (regionNames.has(name) || status === 301) {
    return fail(
      `The bucket ${context.bucket} is in another region: set the \`region\` option to the bucket's region.`,
      false,
    );
  }
  if (accessNames.has(name) || status === 403) {
    const kms = context.kms ? ' and kms:GenerateDataKey on the KMS key' : '';
    return fail(
      `Check the credentials the S3 client uses and that their IAM policy allows s3:PutObject on arn:aws:s3:::${context.bucket}/${context.key}${kms}.`,
      false,
    );
  }
  if (throttlingNames.has(name) || status === 429 || status === 503) {
    return fail(
      'S3 is throttling requests: try again later, or lower `maxConcurrentUploads`.',
      true,
    );
  }
  if (timeoutNames.has(name) || networkCode === 'ETIMEDOUT') {
    return fail('Raise the `timeoutMs` option or check the network path to S3.', true);
  }
  if (networkCode !== undefined) {
    return fail(
      networkCode === 'ENOTFOUND'
        ? 'The S3 endpoint host name does not resolve: check `region` and `clientConfig.endpoint`.'
        : 'S3 could not be reached: check the network path to S3 and `clientConfig.endpoint`, then try again.',
      retryableNetworkCodes.has(networkCode),
    );
  }
  if ((status !== undefined && status >= 500) || details?.$fault === 'server') {
    return fail('S3 failed on its side: try again.', true);
  }
  if (status === 404) {
    return fail(
      `Check the \`bucket\` option (${context.bucket}) and the \`region\` (or endpoint).`,
      false,
    );
  }
  return fail(
    'Check the `bucket`, `region` and credentials of the s3Sink.',
    details?.$retryable !== undefined && details.$retryable !== null,
  );
}

/** The errno-style code of a network failure, looking through `cause` and AggregateError. */
function findNetworkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = findNetworkCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return findNetworkCode(cause, depth + 1);
}
