import {
  GetObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AbortError, SinkError } from '../errors/index.js';
import { callDeadline } from '../internal/call-deadline.js';
import { createConcurrencyLimiter } from '../internal/concurrency-limiter.js';
import type { StoredFigure, StoredFile } from '../types/index.js';
import { s3Failure } from './s3/s3-failure.js';
import { figureKey, fileKey } from './s3/s3-key.js';
import { figureMetadata, fileMetadata } from './s3/s3-metadata.js';
import { parseS3SinkOptions, type S3SinkOptions } from './s3/s3-sink-options.js';
import { attachmentDisposition } from './safe-file-path.js';
import type { ImageSink } from './types.js';

export type {
  S3KeyFunction,
  S3ServerSideEncryption,
  S3SinkOptions,
} from './s3/s3-sink-options.js';

/** An ImageSink that uploads to S3 and says how many uploads it runs in parallel. */
export interface S3Sink extends ImageSink {
  readonly name: 's3';
  /** How many `put` calls are worth running at once; equals `maxConcurrentUploads`. */
  readonly concurrency: number;
  readonly bucket: string;
}

/**
 * Uploads each figure to S3 and returns a presigned GET URL (or a public URL), so an agent shares
 * links instead of pushing base64 into the model's context. Keys come only from the date, the
 * random execution id and the figure's position: nothing the sandboxed code prints can steer them.
 */
export function s3Sink(options: S3SinkOptions): S3Sink {
  const settings = parseS3SinkOptions(options);
  const { bucket, expiresInSeconds, timeoutMs } = settings;
  const concurrency = settings.maxConcurrentUploads;
  const publicBaseUrl =
    settings.publicBaseUrl === undefined || settings.publicBaseUrl.endsWith('/')
      ? settings.publicBaseUrl
      : `${settings.publicBaseUrl}/`;
  const client =
    settings.client ??
    new S3Client({
      ...settings.clientConfig,
      ...(settings.region === undefined ? {} : { region: settings.region }),
    });
  const limiter = createConcurrencyLimiter(concurrency);
  // The same caching and encryption headers on every object, figure or file.
  const storageHeaders: Partial<PutObjectCommandInput> = {
    ...(settings.cacheControl === undefined ? {} : { CacheControl: settings.cacheControl }),
    ...(settings.serverSideEncryption === undefined
      ? {}
      : { ServerSideEncryption: settings.serverSideEncryption }),
    ...(settings.sseKmsKeyId === undefined ? {} : { SSEKMSKeyId: settings.sseKmsKeyId }),
  };

  async function upload(
    input: PutObjectCommandInput,
    what: string,
    key: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = callDeadline(timeoutMs, abortSignal);
    try {
      await client.send(new PutObjectCommand(input), { abortSignal: deadline.signal });
    } catch (error) {
      if (abortSignal?.aborted) {
        throw new AbortError(
          `The upload of ${what} to s3://${bucket}/${key} was aborted by the abortSignal.`,
          { cause: abortSignal.reason },
        );
      }
      if (deadline.timedOut) {
        throw new SinkError(
          's3',
          `s3Sink timed out after ${timeoutMs} ms uploading ${what} to s3://${bucket}/${key}. Raise the \`timeoutMs\` option or check the network path to S3.`,
          { cause: error, isRetryable: true },
        );
      }
      throw s3Failure(error, {
        action: `upload ${what} to`,
        bucket,
        key,
        kms: settings.serverSideEncryption === 'aws:kms',
      });
    } finally {
      deadline.dispose();
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
      throw s3Failure(error, { action: 'presign a URL for', bucket, key, kms: false });
    }
  }

  return {
    name: 's3',
    concurrency,
    bucket,
    async put(figure, context): Promise<StoredFigure> {
      const key = figureKey(figure, context, {
        bucket,
        prefix: settings.prefix,
        key: settings.key,
      });
      const isSvg = figure.mediaType === 'image/svg+xml';
      const input: PutObjectCommandInput = {
        Bucket: bucket,
        Key: key,
        // A Uint8Array, never a stream: with flexible checksums a streamed body is sent
        // aws-chunked, which S3-compatible servers (s3rver) store corrupted.
        Body: figure.data,
        ContentType: figure.mediaType,
        Metadata: figureMetadata(figure, context, settings.metadata),
        ...(isSvg && !settings.allowInlineSvg
          ? { ContentDisposition: `attachment; filename="figure-${figure.index + 1}.svg"` }
          : {}),
        ...storageHeaders,
      };
      await limiter.run(
        () => upload(input, `figure ${figure.index + 1}`, key, context.abortSignal),
        `The upload of figure ${figure.index + 1}`,
        context.abortSignal,
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
    async putFile(file, context): Promise<StoredFile> {
      const key = fileKey(file.path, context, { bucket, prefix: settings.prefix, key: undefined });
      const what = `file ${JSON.stringify(file.path)}`;
      const input: PutObjectCommandInput = {
        Bucket: bucket,
        Key: key,
        Body: file.data,
        ContentType: file.mediaType,
        // Always a download: a presigned link must never render the sandbox's HTML or SVG in
        // the user's browser, and a file is something to save, not a page.
        ContentDisposition: attachmentDisposition(file.path),
        Metadata: fileMetadata(file.path, context, settings.metadata),
        ...storageHeaders,
      };
      await limiter.run(
        () => upload(input, what, key, context.abortSignal),
        `The upload of ${what}`,
        context.abortSignal,
      );
      const { url, expiresAt } = await urlFor(key);
      return {
        path: file.path,
        mediaType: file.mediaType,
        sink: 's3',
        url,
        key,
        byteLength: file.data.byteLength,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
    },
  };
}
