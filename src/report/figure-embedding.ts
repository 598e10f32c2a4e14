import { basename } from 'node:path';
import { errorMessage } from '../errors/index.js';
import {
  type FigureBytesSource,
  figureBytesSource,
  readFigureBytesFrom,
} from '../tool/figure-bytes.js';
import type { FigureMediaType, StoredFigure } from '../types/index.js';

/** How a figure appears in the report: its bytes inline, a link, or only a note saying why not. */
export type FigureEmbedding =
  | { kind: 'inline'; dataUrl: string; source: string }
  | { kind: 'link'; href: string; note: string }
  | { kind: 'missing'; note: string };

export interface FigureEmbeddingOptions {
  remoteFigures: 'link' | 'inline';
  fetchTimeoutMs: number;
}

const embeddableTypes: ReadonlySet<string> = new Set<FigureMediaType>([
  'image/png',
  'image/jpeg',
  'image/svg+xml',
]);

/**
 * Finds a stored figure's bytes wherever its sink left them (in memory, in a data: URL, in a
 * file, behind a URL) and turns them into a `data:` URL the report can show offline. The media
 * type comes from the allow-list above and the payload is re-encoded base64, so nothing in the URL
 * is markup; SVG is shown only through `<img>`, where its scripts never run.
 */
export async function embedFigure(
  figure: StoredFigure,
  options: FigureEmbeddingOptions,
): Promise<FigureEmbedding> {
  if (!embeddableTypes.has(figure.mediaType)) {
    return {
      kind: 'missing',
      note: `Not shown: ${figure.mediaType} is not an image type the report embeds.`,
    };
  }
  const source = figureBytesSource(figure);
  if (!source) {
    return {
      kind: 'missing',
      note: `Not shown: the ${figure.sink} sink left neither the bytes, a file nor an http(s) URL.`,
    };
  }
  if (source.kind === 'file') return fromFile(figure, source);
  if (source.kind === 'http') return fromUrl(figure, source, options);
  const where = source.kind === 'memory' ? 'in memory' : 'data URL';
  return inline(figure, await readFigureBytesFrom(source), `${figure.sink} sink, ${where}`);
}

function inline(figure: StoredFigure, bytes: Uint8Array, source: string): FigureEmbedding {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return { kind: 'inline', dataUrl: `data:${figure.mediaType};base64,${base64}`, source };
}

async function fromFile(
  figure: StoredFigure,
  source: FigureBytesSource & { kind: 'file' },
): Promise<FigureEmbedding> {
  const { path } = source;
  let bytes: Uint8Array;
  try {
    bytes = await readFigureBytesFrom(source);
  } catch (error) {
    return { kind: 'missing', note: `Not shown: could not read ${path}: ${errorMessage(error)}.` };
  }
  if (bytes.byteLength !== figure.byteLength) {
    return {
      kind: 'missing',
      note: `Not shown: ${path} has ${bytes.byteLength} bytes, but the stored figure had ${figure.byteLength}; the file changed since.`,
    };
  }
  return inline(figure, bytes, `${figure.sink} sink, file ${basename(path)}`);
}

async function fromUrl(
  figure: StoredFigure,
  source: FigureBytesSource & { kind: 'http' },
  options: FigureEmbeddingOptions,
): Promise<FigureEmbedding> {
  const expires = figure.expiresAt
    ? ` The link expires at ${new Date(figure.expiresAt).toISOString()}.`
    : '';
  if (options.remoteFigures === 'link') {
    return {
      kind: 'link',
      href: figure.url,
      note: `Stored by the ${figure.sink} sink; not embedded (remoteFigures: 'link').${expires}`,
    };
  }
  try {
    // More bytes than the sink stored are not this figure's: the download stops there.
    const bytes = await readFigureBytesFrom(source, {
      maxBytes: figure.byteLength,
      timeoutMs: options.fetchTimeoutMs,
    });
    if (bytes.byteLength !== figure.byteLength) {
      throw new Error(`got ${bytes.byteLength} bytes, expected ${figure.byteLength}`);
    }
    return inline(figure, bytes, `${figure.sink} sink, fetched`);
  } catch (error) {
    return {
      kind: 'link',
      href: figure.url,
      note: `Could not fetch it to embed (${errorMessage(error)}).${expires}`,
    };
  }
}
