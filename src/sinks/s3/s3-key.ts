import { errorMessage, SinkError } from '../../errors/index.js';
import type { CapturedFigure } from '../../types/index.js';
import { extensionFor } from '../media.js';
import { safeFilePath } from '../safe-file-path.js';
import type { ImageSinkContext } from '../types.js';
import type { S3KeyFunction } from './s3-sink-options.js';

/** Why a key cannot be used, or undefined when it can. */
export function keyProblem(
  key: string,
  { allowEmpty }: { allowEmpty: boolean },
): string | undefined {
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

/** What chooses the object key of each figure. */
export interface FigureKeyLayout {
  bucket: string;
  prefix: string;
  /** The user's own key function, which replaces the default layout. */
  key: S3KeyFunction | undefined;
}

/**
 * The object key of a figure: `{prefix}{yyyy}/{mm}/{dd}/{executionId}/figure-{n}.{ext}` (UTC
 * date; `n` counts from 1: `figure.index + 1`), or what the `key` option returns, checked. Throws a SinkError for a key it refuses.
 */
export function figureKey(
  figure: CapturedFigure,
  context: ImageSinkContext,
  layout: FigureKeyLayout,
): string {
  const { bucket, prefix, key } = layout;
  if (key) {
    let chosen: unknown;
    try {
      chosen = key(figure, context);
    } catch (error) {
      throw new SinkError(
        's3',
        `s3Sink's \`key\` option threw for figure ${figure.index + 1} (bucket ${bucket}): ${errorMessage(error)}.`,
        { cause: error },
      );
    }
    const problem =
      typeof chosen === 'string' ? keyProblem(chosen, { allowEmpty: false }) : 'is not a string';
    if (problem !== undefined) {
      throw new SinkError(
        's3',
        `s3Sink's \`key\` option returned ${JSON.stringify(chosen)} for figure ${figure.index + 1} (bucket ${bucket}), which ${problem}. Return a relative key such as "team/figure-1.png".`,
      );
    }
    return chosen as string;
  }
  if (!Number.isSafeInteger(figure.index) || figure.index < 0) {
    throw new SinkError(
      's3',
      `s3Sink refused figure index ${JSON.stringify(figure.index)} (bucket ${bucket}): it must be a non-negative integer.`,
    );
  }
  return `${executionFolder(prefix, context, bucket)}/figure-${figure.index + 1}.${extensionFor(figure.mediaType)}`;
}

/**
 * The object key of a file the code wrote: `{prefix}{yyyy}/{mm}/{dd}/{executionId}/files/{path}`,
 * the path cleaned segment by segment (safeFilePath), so nothing the code names leaves the
 * execution's prefix. The `key` option is for figures only.
 */
export function fileKey(path: string, context: ImageSinkContext, layout: FigureKeyLayout): string {
  const key = `${executionFolder(layout.prefix, context, layout.bucket)}/files/${safeFilePath(path)}`;
  const problem = keyProblem(key, { allowEmpty: false });
  if (problem !== undefined) {
    throw new SinkError(
      's3',
      `s3Sink refused the file ${JSON.stringify(path)} (bucket ${layout.bucket}): its key ${problem}.`,
    );
  }
  return key;
}

// `{prefix}{yyyy}/{mm}/{dd}/{executionId}` (UTC date), with the execution id checked.
function executionFolder(prefix: string, context: ImageSinkContext, bucket: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(context.executionId)) {
    throw new SinkError(
      's3',
      `s3Sink refused execution id ${JSON.stringify(context.executionId)} (bucket ${bucket}): ids must be 1-128 letters, digits, _ and -.`,
    );
  }
  const now = new Date();
  const date = `${now.getUTCFullYear()}/${twoDigits(now.getUTCMonth() + 1)}/${twoDigits(now.getUTCDate())}`;
  return `${prefix}${date}/${context.executionId}`;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}
