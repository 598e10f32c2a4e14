import { readFile } from 'node:fs/promises';
import { errorMessage, SandplotError } from '../../errors/index.js';
import type { ExecutePythonToolOutput } from '../../tool/execute-python.js';
import type { FigureLedger, LedgerFigure } from '../../tool/figure-ledger.js';
import { isShareableUrl } from '../../tool/figure-ledger.js';

/** A figure's bytes, as an MCP resource read returns them. */
export interface FigureBytes {
  figure: LedgerFigure;
  data: Uint8Array;
}

/**
 * Keeps the bytes of the figures the tool delivered, so MCP clients can read them as resources
 * after the call: the figure ledger keeps metadata only. Figures whose bytes were evicted (or
 * never at hand) are read again from their file (local-dir sink), `data:` URL or http(s) URL.
 * On a pool the figures of each conversation are kept apart (`conversationId`), under one budget.
 */
export interface FigureStore {
  /** Remembers the bytes of one call's figures that the output has at hand. */
  remember(output: ExecutePythonToolOutput, conversationId?: string): void;
  /** The bytes of the figure with reference `ref`; throws a SandplotError `FILE_NOT_FOUND`. */
  read(ref: number, abortSignal?: AbortSignal, conversationId?: string): Promise<FigureBytes>;
  /** Drops the cached bytes of one conversation. */
  forget(conversationId: string): void;
}

/** The ledger of a conversation (undefined: the sandbox's only conversation). */
export type LedgerLookup = (conversationId: string | undefined) => FigureLedger;

const FETCH_TIMEOUT_MS = 30_000;

export function createFigureStore(
  ledger: FigureLedger | LedgerLookup,
  maxCachedBytes: number,
): FigureStore {
  const ledgerOf: LedgerLookup = typeof ledger === 'function' ? ledger : () => ledger;
  // Keyed by conversation and ref; insertion order is age order: the oldest are evicted first.
  const cache = new Map<string, Uint8Array>();
  let cachedBytes = 0;
  const keyOf = (conversationId: string | undefined, ref: number) =>
    `${conversationId === undefined ? '' : `${conversationId.length}:${conversationId}`}#${ref}`;

  const keep = (key: string, data: Uint8Array) => {
    if (data.byteLength > maxCachedBytes || cache.has(key)) return;
    cache.set(key, data);
    cachedBytes += data.byteLength;
    for (const [oldKey, oldData] of cache) {
      if (cachedBytes <= maxCachedBytes) break;
      cache.delete(oldKey);
      cachedBytes -= oldData.byteLength;
    }
  };

  return {
    remember(output, conversationId) {
      const stored = new Map(
        (output.result?.figures ?? []).map((figure) => [figure.index, figure.data]),
      );
      const images = new Map(output.images.map((image) => [image.ref, image.data]));
      for (const figure of output.figures) {
        const data = stored.get(figure.index) ?? images.get(figure.ref);
        if (data) keep(keyOf(conversationId, figure.ref), data);
      }
    },
    async read(ref, abortSignal, conversationId) {
      const figure = ledgerOf(conversationId).figures.find((entry) => entry.ref === ref);
      if (!figure) {
        throw new SandplotError(
          'FILE_NOT_FOUND',
          `There is no figure ${ref} in this session: figures are numbered from 1 in the order execute_python made them.`,
        );
      }
      const cached = cache.get(keyOf(conversationId, ref));
      if (cached) return { figure, data: cached };
      try {
        return { figure, data: await fetchBytes(figure, abortSignal) };
      } catch (error) {
        if (abortSignal?.aborted) throw error;
        throw new SandplotError(
          'FILE_NOT_FOUND',
          `The bytes of ${figure.label} could not be read from ${describeUrl(figure.url)}: ${errorMessage(error)}`,
          { cause: error },
        );
      }
    },
    forget(conversationId) {
      const prefix = keyOf(conversationId, 0).replace(/0$/, '');
      for (const [key, data] of cache) {
        if (!key.startsWith(prefix)) continue;
        cache.delete(key);
        cachedBytes -= data.byteLength;
      }
    },
  };
}

async function fetchBytes(figure: LedgerFigure, abortSignal?: AbortSignal): Promise<Uint8Array> {
  if (figure.path) return new Uint8Array(await readFile(figure.path));
  const dataUrl = /^data:[^;,]*;base64,(.*)$/s.exec(figure.url);
  if (dataUrl) return new Uint8Array(Buffer.from(dataUrl[1] ?? '', 'base64'));
  if (isShareableUrl(figure.url)) {
    const signals = [AbortSignal.timeout(FETCH_TIMEOUT_MS)];
    if (abortSignal) signals.push(abortSignal);
    const response = await fetch(figure.url, { signal: AbortSignal.any(signals) });
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(figure.url).host}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new Error('the image sink kept no bytes and gave no readable URL');
}

function describeUrl(url: string): string {
  if (url.startsWith('data:')) return 'its data: URL';
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'file:' ? parsed.pathname : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'its URL';
  }
}
