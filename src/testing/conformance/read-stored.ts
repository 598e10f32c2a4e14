import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { StoredFigure } from '../../types/index.js';
import { ConformanceFailure } from './report.js';

/** How the checks read a stored figure back. */
export interface ReadStoredOptions {
  fetch: typeof fetch;
  /** For URL schemes other than data:, file: and http(s). */
  read: ((stored: StoredFigure) => Promise<Uint8Array>) | undefined;
  signal: AbortSignal;
}

/** One way the stored bytes came back, and what it said the media type was. */
export interface StoredCopy {
  via: 'data' | 'url' | 'path';
  bytes: Uint8Array;
  mediaType?: string;
}

/**
 * Every copy of the figure the StoredFigure points at: its `data`, its `url` (data:, file:,
 * http(s), or `read` for other schemes) and its `path`. The URL must always be readable.
 */
export async function readStoredCopies(
  stored: StoredFigure,
  options: ReadStoredOptions,
): Promise<StoredCopy[]> {
  const copies: StoredCopy[] = [];
  if (stored.data !== undefined) {
    if (!(stored.data instanceof Uint8Array)) {
      throw new ConformanceFailure('`data` is set but is not a Uint8Array');
    }
    copies.push({ via: 'data', bytes: stored.data });
  }
  copies.push({ via: 'url', ...(await readUrl(stored, options)) });
  if (stored.path !== undefined) {
    copies.push({ via: 'path', bytes: new Uint8Array(await readFile(stored.path)) });
  }
  return copies;
}

async function readUrl(
  stored: StoredFigure,
  options: ReadStoredOptions,
): Promise<{ bytes: Uint8Array; mediaType?: string }> {
  if (typeof stored.url !== 'string' || stored.url === '') {
    throw new ConformanceFailure('`url` is missing: every stored figure needs one');
  }
  const scheme = stored.url.slice(0, stored.url.indexOf(':') + 1).toLowerCase();
  if (scheme === 'data:') return decodeDataUrl(stored.url);
  if (scheme === 'file:')
    return { bytes: new Uint8Array(await readFile(fileURLToPath(stored.url))) };
  if (scheme === 'http:' || scheme === 'https:') {
    const response = await options.fetch(stored.url, { signal: options.signal });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) {
      throw new ConformanceFailure(`fetching the url answered HTTP ${response.status}`);
    }
    const contentType = response.headers.get('content-type');
    return contentType === null ? { bytes } : { bytes, mediaType: contentType };
  }
  if (options.read === undefined) {
    throw new ConformanceFailure(
      `cannot read a ${scheme || 'scheme-less'} url: pass the \`read\` option to read it back`,
    );
  }
  return { bytes: await options.read(stored) };
}

function decodeDataUrl(url: string): { bytes: Uint8Array; mediaType: string } {
  const comma = url.indexOf(',');
  if (comma === -1) throw new ConformanceFailure('the data: url has no comma');
  const header = url.slice('data:'.length, comma);
  const payload = url.slice(comma + 1);
  const isBase64 = header.endsWith(';base64');
  const mediaType = (isBase64 ? header.slice(0, -';base64'.length) : header).split(';')[0] ?? '';
  const bytes = isBase64 ? Buffer.from(payload, 'base64') : percentDecode(payload);
  return { bytes: new Uint8Array(bytes), mediaType };
}

/** The bytes of a percent-encoded data: URL payload (escapes are bytes, not UTF-8 text). */
function percentDecode(payload: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (const match of payload.matchAll(/%([0-9a-fA-F]{2})/g)) {
    parts.push(Buffer.from(payload.slice(start, match.index), 'utf8'));
    parts.push(Buffer.from([Number.parseInt(match[1] as string, 16)]));
    start = match.index + match[0].length;
  }
  parts.push(Buffer.from(payload.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** Where a stored figure lives, for telling locations apart; undefined for a data: URL. */
export function locationOf(stored: StoredFigure): string | undefined {
  if (stored.key !== undefined) return `key:${stored.key}`;
  if (stored.path !== undefined) return `path:${stored.path}`;
  if (typeof stored.url !== 'string' || stored.url.toLowerCase().startsWith('data:'))
    return undefined;
  // Signed URLs differ per call for the same object: compare without query and fragment.
  return `url:${stored.url.split(/[?#]/, 1)[0]}`;
}

/** Index of the first differing byte, or -1 when equal. */
export function firstDifference(first: Uint8Array, second: Uint8Array): number {
  const length = Math.min(first.byteLength, second.byteLength);
  for (let index = 0; index < length; index++) if (first[index] !== second[index]) return index;
  return first.byteLength === second.byteLength ? -1 : length;
}
