import { relative } from 'node:path';
import type { StoredFigure, StoredFile } from '../types/index.js';

/** One human-readable line per stored figure: where it is, its size in bytes and pixels, its title. */
export function figureLine(figure: StoredFigure): string {
  const where = figure.path
    ? relative(process.cwd(), figure.path) || figure.path
    : shorten(figure.url);
  const pixels = figure.width && figure.height ? `  ${figure.width}×${figure.height} px` : '';
  const title = figure.title ? `  "${figure.title}"` : '';
  return `figure ${figure.index + 1}: ${where}  ${figure.byteLength.toLocaleString('en-US')} bytes${pixels}${title}`;
}

/** One human-readable line per stored file: its path in the sandbox, where it is stored, its size. */
export function fileLine(file: StoredFile): string {
  const where = file.localPath
    ? relative(process.cwd(), file.localPath) || file.localPath
    : shorten(file.url);
  return `file ${JSON.stringify(file.path)}: ${where}  ${file.byteLength.toLocaleString('en-US')} bytes  ${file.mediaType}`;
}

/** Inline data URLs are shortened; links (presigned URLs included) are printed whole. */
function shorten(url: string): string {
  return url.startsWith('data:') && url.length > 80
    ? `${url.slice(0, 40)}…(${url.length} chars)`
    : url;
}
