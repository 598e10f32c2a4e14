import type { FigureMediaType } from '../types/index.js';

/**
 * Where the prelude saves figures with `capture.transport: 'files'`, relative to the session's
 * working directory. prelude.py writes the same layout.
 */
export const FIGURE_FILES_FOLDER = '.sandplot/figures';

const EXTENSIONS: Readonly<Record<FigureMediaType, string>> = {
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/jpeg': 'jpg',
};

/** The folder of one execution's figure files, relative to the session's working directory. */
export function figureFilesFolder(nonce: string): string {
  return `${FIGURE_FILES_FOLDER}/${nonce}`;
}

/**
 * The file of one figure, relative to the session's working directory. Built from the nonce and
 * the announced index and format only, so nothing the sandboxed code prints can point the read
 * at another file.
 */
export function figureFilePath(
  nonce: string,
  figure: { index: number; mediaType: FigureMediaType },
): string {
  return `${figureFilesFolder(nonce)}/figure-${figure.index + 1}.${EXTENSIONS[figure.mediaType]}`;
}
