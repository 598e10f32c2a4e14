import { ConfigError } from '../errors/index.js';
import { base64Sink } from '../sinks/base64.js';
import { localDirSink } from '../sinks/local-dir.js';
import type { ImageSink } from '../sinks/types.js';
import { noteAwsSdkNodeVersion } from './aws-sdk-note.js';

/** The command-line options that choose a sink, shared by `run` (and `mcp`). */
export const sinkArgumentOptions = {
  sink: { type: 'string', default: 'dir:figures' },
  's3-endpoint': { type: 'string' },
  expires: { type: 'string' },
} as const;

export const sinkUsage = `  --sink dir:PATH | base64 | s3://BUCKET/PREFIX
                             where figures go (default: dir:figures)
  --s3-endpoint URL          S3-compatible endpoint, path-style (default: AWS S3)
  --expires SECONDS          lifetime of presigned S3 URLs (default: 3600)`;

/**
 * Turns `--sink dir:PATH | base64 | s3://bucket/prefix` (and the S3 flags) into a sink. The S3
 * client is loaded only when asked for, to keep the command quick to start.
 */
export async function sinkFromOptions(values: {
  sink?: string | undefined;
  's3-endpoint'?: string | undefined;
  expires?: string | undefined;
  quiet?: boolean | undefined;
}): Promise<ImageSink> {
  const value = values.sink ?? 'dir:figures';
  const s3Flags = values['s3-endpoint'] !== undefined || values.expires !== undefined;
  if (s3Flags && !value.startsWith('s3://')) {
    throw new ConfigError('--s3-endpoint and --expires go with --sink s3://BUCKET/PREFIX.');
  }
  if (value === 'base64') return base64Sink();
  if (value.startsWith('dir:') && value.length > 'dir:'.length) {
    return localDirSink({ dir: value.slice('dir:'.length) });
  }
  if (value.startsWith('s3://')) {
    const [bucket = '', ...rest] = value.slice('s3://'.length).split('/');
    if (bucket.length === 0) {
      throw new ConfigError(
        `--sink ${JSON.stringify(value)} names no bucket: use s3://BUCKET/PREFIX.`,
      );
    }
    const prefix = rest.join('/');
    let expiresInSeconds: number | undefined;
    if (values.expires !== undefined) {
      expiresInSeconds = Number(values.expires);
      if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0) {
        throw new ConfigError(
          `--expires takes whole seconds, not ${JSON.stringify(values.expires)}.`,
        );
      }
    }
    const endpoint = values['s3-endpoint'];
    const region = process.env.AWS_REGION ?? 'us-east-1';
    noteAwsSdkNodeVersion(values.quiet);
    const { s3Sink } = await import('../sinks/s3.js');
    return s3Sink({
      bucket,
      ...(rest.length > 0
        ? { prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` }
        : {}),
      ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
      ...(endpoint === undefined
        ? {}
        : { clientConfig: { region, endpoint, forcePathStyle: true } }),
    });
  }
  throw new ConfigError(
    `Unknown --sink ${JSON.stringify(value)}: use dir:PATH (files in a folder), base64 (inline data URLs) or s3://BUCKET/PREFIX.`,
  );
}
