import type { CapturedFigure } from '../../types/index.js';
import type { ImageSinkContext } from '../types.js';

/** User metadata keys the sink sets on every figure; the `metadata` option cannot use them. */
export const RESERVED_METADATA_KEYS = [
  'execution-id',
  'session-id',
  'figure-index',
  'title',
  'path',
];

const TITLE_MAXIMUM_LENGTH = 256;
const IDENTIFIER_MAXIMUM_LENGTH = 128;

/** The user metadata stored with a figure: the `metadata` option plus the reserved keys. */
export function figureMetadata(
  figure: CapturedFigure,
  context: ImageSinkContext,
  extra: Record<string, string>,
): Record<string, string> {
  const metadata = contextMetadata(context, extra);
  metadata['figure-index'] = String(figure.index);
  const title = metadataValue(figure.title ?? '', TITLE_MAXIMUM_LENGTH);
  if (title) metadata.title = title;
  return metadata;
}

/** The user metadata stored with a file the code wrote: the `metadata` option plus its path. */
export function fileMetadata(
  path: string,
  context: ImageSinkContext,
  extra: Record<string, string>,
): Record<string, string> {
  const metadata = contextMetadata(context, extra);
  metadata.path = metadataValue(path, TITLE_MAXIMUM_LENGTH);
  return metadata;
}

/** The `metadata` option plus the execution's and the session's identifiers. */
function contextMetadata(
  context: ImageSinkContext,
  extra: Record<string, string>,
): Record<string, string> {
  const metadata: Record<string, string> = {
    ...extra,
    'execution-id': metadataValue(context.executionId, IDENTIFIER_MAXIMUM_LENGTH),
  };
  const sessionId = metadataValue(context.sessionId ?? '', IDENTIFIER_MAXIMUM_LENGTH);
  if (sessionId) metadata['session-id'] = sessionId;
  return metadata;
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
