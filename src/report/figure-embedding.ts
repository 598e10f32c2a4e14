import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../errors/index.js';
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

const dataUrlPattern = /^data:(image\/(?:png|jpeg|svg\+xml));base64,([A-Za-z0-9+/]*={0,2})$/;

/**
 * Finds a stored figure's bytes wherever its sink left them (in memory, in a file, behind a
 * URL) and turns them into a `data:` URL the report can show offline. The media type comes from
 * the allow-list above and the payload is re-encoded base64, so nothing in the URL is markup;
 * SVG is shown only through `<img>`, where its scripts never run.
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
  if (figure.data !== undefined) {
    return inline(figure.mediaType, figure.data, `${figure.sink} sink, in memory`);
  }
  const dataUrl = dataUrlPattern.exec(figure.url);
  if (dataUrl) {
    const [, mediaType, payload] = dataUrl as unknown as [string, FigureMediaType, string];
    return inline(mediaType, Buffer.from(payload, 'base64'), `${figure.sink} sink, data URL`);
  }
  const path = figure.path ?? (figure.url.startsWith('file:') ? fileURLToPath(figure.url) : '');
  if (path !== '') return fromFile(figure, path);
  if (/^https?:\/\//i.test(figure.url)) return fromUrl(figure, options);
  return {
    kind: 'missing',
    note: `Not shown: the ${figure.sink} sink left neither the bytes, a file nor an http(s) URL.`,
  };
}

function inline(mediaType: FigureMediaType, bytes: Uint8Array, source: string): FigureEmbedding {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return { kind: 'inline', dataUrl: `data:${mediaType};base64,${base64}`, source };
}

async function fromFile(figure: StoredFigure, path: string): Promise<FigureEmbedding> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return { kind: 'missing', note: `Not shown: could not read ${path}: ${errorMessage(error)}.` };
  }
  if (bytes.byteLength !== figure.byteLength) {
    return {
      kind: 'missing',
      note: `Not shown: ${path} has ${bytes.byteLength} bytes, but the stored figure had ${figure.byteLength}; the file changed since.`,
    };
  }
  return inline(figure.mediaType, bytes, `${figure.sink} sink, file ${basename(path)}`);
}

async function fromUrl(
  figure: StoredFigure,
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
    const response = await fetch(figure.url, {
      signal: AbortSignal.timeout(options.fetchTimeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength !== figure.byteLength) {
      throw new Error(`got ${bytes.byteLength} bytes, expected ${figure.byteLength}`);
    }
    return inline(figure.mediaType, bytes, `${figure.sink} sink, fetched`);
  } catch (error) {
    return {
      kind: 'link',
      href: figure.url,
      note: `Could not fetch it to embed (${errorMessage(error)}).${expires}`,
    };
  }
}
