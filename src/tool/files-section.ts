import { formatBytes } from '../capture/format-bytes.js';
import type { StoredFile } from '../types/index.js';
import { isShareableUrl } from './figure-ledger.js';
import { scrubBase64 } from './scrub-base64.js';
import { clipLine } from './text.js';

const MAX_PATH_CHARS = 200;
const MAX_FILES_LISTED = 20;

/**
 * The files the code wrote, one line each: the path (quoted, so no name can pass as text of its
 * own), the size and the type, and the http(s) link when the sink gave one. data: and file: URLs
 * never reach the model; files are listed, never attached as images.
 */
export function filesSection(
  files: readonly StoredFile[],
  options: { includeUrls: boolean },
): string | undefined {
  if (files.length === 0) return undefined;
  const lines = files.slice(0, MAX_FILES_LISTED).map((file) => {
    const parts = [fileLabel(file.path), formatBytes(file.byteLength), file.mediaType];
    if (options.includeUrls && isShareableUrl(file.url)) parts.push(file.url);
    return `- ${parts.join(', ')}`;
  });
  if (files.length > lines.length) {
    lines.push(`- … and ${files.length - lines.length} more (see result.files)`);
  }
  return `Files written (stored; the user can download them):\n${lines.join('\n')}`;
}

/** A file's path as the model and people see it: JSON-quoted (escapes included), clipped. */
export function fileLabel(path: string): string {
  return JSON.stringify(clipLine(scrubBase64(path), MAX_PATH_CHARS));
}
