import { relative } from 'node:path';
import { terminalLine } from '../internal/terminal-safe.js';
import { MAX_TITLE_CHARS } from '../tool/figure-ledger.js';
import { clipLine } from '../tool/text.js';
import type { StoredFigure, StoredFile } from '../types/index.js';

/**
 * One human-readable line per stored figure: where it is, its size in bytes and pixels, its title.
 * What the code chose (the title) is one line of at most 200 characters without control
 * characters, and so is everything else on it: the line is safe to print on a terminal.
 */
export function figureLine(figure: StoredFigure): string {
  const where = figure.path
    ? relative(process.cwd(), figure.path) || figure.path
    : shorten(figure.url);
  const pixels = figure.width && figure.height ? `  ${figure.width}×${figure.height} px` : '';
  const title = figure.title ? `  "${clipLine(figure.title, MAX_TITLE_CHARS)}"` : '';
  return terminalLine(
    `figure ${figure.index + 1}: ${where}  ${figure.byteLength.toLocaleString('en-US')} bytes${pixels}${title}`,
  );
}

/** One human-readable line per stored file: its path in the sandbox, where it is stored, its size. */
export function fileLine(file: StoredFile): string {
  const where = file.localPath
    ? relative(process.cwd(), file.localPath) || file.localPath
    : shorten(file.url);
  return terminalLine(
    `file ${JSON.stringify(clipLine(file.path, MAX_TITLE_CHARS))}: ${where}  ${file.byteLength.toLocaleString('en-US')} bytes  ${file.mediaType}`,
  );
}

/** Inline data URLs are shortened; links (presigned URLs included) are printed whole. */
function shorten(url: string): string {
  return url.startsWith('data:') && url.length > 80
    ? `${url.slice(0, 40)}…(${url.length} chars)`
    : url;
}
