import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseOptions } from '../../internal/parse-options.js';
import { objectWithMethod } from '../../internal/plugin-schema.js';
import type { CapturedFigure } from '../../types/index.js';
import type { ImageSinkContext } from '../types.js';
import { keyProblem } from './s3-key.js';
import { RESERVED_METADATA_KEYS } from './s3-metadata.js';

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
   * Overrides the key layout `{prefix}{yyyy}/{mm}/{dd}/{executionId}/figure-{n}.{ext}`, where
   * `n` counts from 1 (`figure.index + 1`, as in "figure 1").
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

const MAXIMUM_EXPIRES_IN_SECONDS = 604_800;
const METADATA_BUDGET_BYTES = 1024;
const printableAscii = /^[\x20-\x7e]*$/;

const keyText = z
  .string()
  .max(1024)
  .refine((value) => keyProblem(value, { allowEmpty: true }) === undefined, {
    message: 'must not start with "/", contain "." or ".." segments, or control characters',
  });

const s3SinkOptionsSchema = z
  .object({
    bucket: z
      .string({ message: 'is required: the bucket figures are uploaded to' })
      .regex(/^(arn:\S+|[A-Za-z0-9._-]{3,255})$/, {
        message: 'must be a bucket name such as "my-figures" or an access point ARN',
      }),
    prefix: keyText.default('figures/'),
    client: objectWithMethod<S3Client>(
      'send',
      'must be an S3Client from @aws-sdk/client-s3',
    ).optional(),
    region: z.string().min(1).optional(),
    clientConfig: z
      .custom<S3ClientConfig>((value) => typeof value === 'object' && value !== null, {
        message: 'must be an S3ClientConfig object',
      })
      .optional(),
    presign: z.boolean().default(true),
    // Its default (3600) is filled in after the checks below, which must know whether it was set.
    expiresInSeconds: z
      .number()
      .int({ message: 'must be a whole number of seconds' })
      .min(1, { message: 'must be at least 1' })
      .max(MAXIMUM_EXPIRES_IN_SECONDS, {
        message: `must be at most ${MAXIMUM_EXPIRES_IN_SECONDS} (7 days), the longest S3 allows`,
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
          !Object.keys(value).some((key) => RESERVED_METADATA_KEYS.includes(key.toLowerCase())),
        { message: `must not set the reserved keys ${RESERVED_METADATA_KEYS.join(', ')}` },
      )
      .refine(
        (value) =>
          Object.entries(value).reduce(
            (total, [key, entry]) => total + key.length + entry.length,
            0,
          ) <= METADATA_BUDGET_BYTES,
        { message: `must stay within ${METADATA_BUDGET_BYTES} bytes (keys and values)` },
      )
      .default({}),
    key: z
      .custom<S3KeyFunction>((value) => typeof value === 'function', {
        message: 'must be a function (figure, context) => string',
      })
      .optional(),
    allowInlineSvg: z.boolean().default(false),
    timeoutMs: z.number().int().positive().max(3_600_000).default(30_000),
    maxConcurrentUploads: z.number().int().positive().max(1024).default(16),
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
    if (!options.presign && options.publicBaseUrl === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['publicBaseUrl'],
        message:
          'is required with `presign: false`: the public bucket or CloudFront URL figures are served from',
      });
    }
    if (options.presign && options.publicBaseUrl !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['presign'],
        message: 'must be false when `publicBaseUrl` is set (public URLs are not signed)',
      });
    }
    if (!options.presign && options.expiresInSeconds !== undefined) {
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
  })
  .transform(({ expiresInSeconds = 3600, ...options }) => ({ ...options, expiresInSeconds }));

/** S3SinkOptions validated, with every default filled in. */
export type S3SinkSettings = z.output<typeof s3SinkOptionsSchema>;

/** Validates s3Sink's options, with every default filled in. */
export function parseS3SinkOptions(options: S3SinkOptions): S3SinkSettings {
  return parseOptions(s3SinkOptionsSchema, options, 's3Sink options');
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
