import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { StoredFigure } from '../types/index.js';
import { formatBytes } from './text.js';

/** What `readFigureBytes` needs of a figure: a StoredFigure or a LedgerFigure (plus its bytes) fits. */
export type FigureBytesTarget = Pick<StoredFigure, 'mediaType' | 'url'> & {
  path?: string | undefined;
  data?: Uint8Array | undefined;
};

/** Where a stored figure's bytes can be found, in the order they are tried. */
export type FigureBytesSource =
  | { kind: 'memory'; data: Uint8Array }
  | { kind: 'data-url'; base64: string }
  | { kind: 'file'; path: string }
  | { kind: 'http'; url: string };

export interface ReadFigureBytesOptions {
  /**
   * The most bytes read: a larger figure throws a `FigureTooLargeError` once it is known to be
   * larger, without ever holding more than one network chunk past the limit. @default no limit
   */
  maxBytes?: number;
  /** Download figures that only an http(s) URL leads to; when false they count as unreadable. @default false */
  fetchRemote?: boolean;
  abortSignal?: AbortSignal | undefined;
  /** Time a download may take, headers and body. @default 30000 */
  timeoutMs?: number;
}

/** A figure's bytes and where they came from. */
export interface FigureBytes {
  data: Uint8Array;
  source: FigureBytesSource;
}

/** The figure is larger than `maxBytes`; `byteLength` is its size when that was declared. */
export class FigureTooLargeError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly byteLength?: number,
  ) {
    super(
      byteLength === undefined
        ? `more than ${formatBytes(maxBytes)}`
        : `${formatBytes(byteLength)}, more than ${formatBytes(maxBytes)}`,
    );
    this.name = 'FigureTooLargeError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const FILE_CHUNK_BYTES = 256 * 1024;
const dataUrlPattern =
  /^data:([\w.+-]+\/[\w.+-]+)?(?:;[\w.+-]+=[\w.+-]+)*;base64,([A-Za-z0-9+/]*={0,2})$/;

/**
 * Where the figure's bytes are: in memory (`data`, as the base64 sink keeps them), in its `data:`
 * URL (only one that declares the figure's own media type), in its file (`path`, or a `file:`
 * URL), or behind its http(s) URL. Undefined when there is none of these.
 */
export function figureBytesSource(figure: FigureBytesTarget): FigureBytesSource | undefined {
  if (figure.data !== undefined) return { kind: 'memory', data: figure.data };
  const dataUrl = dataUrlPattern.exec(figure.url);
  if (dataUrl && dataUrl[1] === figure.mediaType)
    return { kind: 'data-url', base64: dataUrl[2] ?? '' };
  if (figure.path) return { kind: 'file', path: figure.path };
  if (/^file:/i.test(figure.url)) {
    try {
      return { kind: 'file', path: fileURLToPath(figure.url) };
    } catch {
      return undefined;
    }
  }
  if (/^https?:\/\//i.test(figure.url)) return { kind: 'http', url: figure.url };
  return undefined;
}

/**
 * Reads a stored figure's bytes back from wherever its sink left them (see `figureBytesSource`),
 * within `maxBytes`. Resolves undefined when there is nowhere to read them from (or only an
 * http(s) URL and `fetchRemote` is false); rejects when reading failed (`HTTP 403 from host`, a
 * missing file, a `FigureTooLargeError`, the abort signal's reason).
 */
export async function readFigureBytes(
  figure: FigureBytesTarget,
  options: ReadFigureBytesOptions = {},
): Promise<FigureBytes | undefined> {
  const source = figureBytesSource(figure);
  if (!source || (source.kind === 'http' && !options.fetchRemote)) return undefined;
  return { data: await readFigureBytesFrom(source, options), source };
}

/**
 * Reads the bytes from one source (`figureBytesSource`), within `maxBytes`; an http(s) source is
 * downloaded whatever `fetchRemote` says.
 */
export async function readFigureBytesFrom(
  source: FigureBytesSource,
  options: ReadFigureBytesOptions = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  switch (source.kind) {
    case 'memory':
      if (source.data.byteLength > maxBytes) {
        throw new FigureTooLargeError(maxBytes, source.data.byteLength);
      }
      return source.data;
    case 'data-url': {
      const padding = source.base64.endsWith('==') ? 2 : source.base64.endsWith('=') ? 1 : 0;
      const decodedLength = Math.floor((source.base64.length * 3) / 4) - padding;
      if (decodedLength > maxBytes) throw new FigureTooLargeError(maxBytes, decodedLength);
      return new Uint8Array(Buffer.from(source.base64, 'base64'));
    }
    case 'file':
      return readBoundedFile(source.path, maxBytes);
    case 'http':
      return download(source.url, maxBytes, options);
  }
}

async function readBoundedFile(path: string, maxBytes: number): Promise<Uint8Array> {
  if (maxBytes === Number.POSITIVE_INFINITY) return new Uint8Array(await readFile(path));
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new FigureTooLargeError(maxBytes, size);
    // The file may grow while it is read: count what is read, not what stat said.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(FILE_CHUNK_BYTES, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new FigureTooLargeError(maxBytes);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return joinChunks(chunks);
  } finally {
    await handle.close();
  }
}

function joinChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 0) return new Uint8Array();
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(Buffer.concat(chunks));
}

async function download(
  url: string,
  maxBytes: number,
  options: ReadFigureBytesOptions,
): Promise<Uint8Array> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)];
  if (options.abortSignal) signals.push(options.abortSignal);
  const response = await fetch(url, { signal: AbortSignal.any(signals) });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new FigureTooLargeError(maxBytes, declared);
  }
  if (!response.body) return new Uint8Array();
  // Content-Length may lie or be absent: count while streaming and stop past the limit.
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FigureTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return joinChunks(chunks);
}
