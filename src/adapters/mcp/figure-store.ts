import { BackendError, errorMessage } from '../../errors/index.js';
import { readFigureBytes } from '../../tool/figure-bytes.js';
import type { FigureLedger, LedgerFigure } from '../../tool/figure-ledger.js';
import type { ExecutePythonToolOutput } from '../../tool/tool-types.js';

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
  /** The bytes of the figure with reference `ref`; throws a BackendError `FILE_NOT_FOUND`. */
  read(ref: number, abortSignal?: AbortSignal, conversationId?: string): Promise<FigureBytes>;
  /** Drops the cached bytes of one conversation. */
  forget(conversationId: string): void;
}

/** The ledger of a conversation (undefined: the sandbox's only conversation). */
export type LedgerLookup = (conversationId: string | undefined) => FigureLedger;

const FETCH_TIMEOUT_MS = 30_000;

/**
 * Keeps the bytes of the figures the tool delivered within `maxCachedBytes` (the oldest evicted
 * first), and reads the others back from where their sink left them.
 */
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
        throw new BackendError(
          `There is no figure ${ref} in this session: figures are numbered from 1 in the order execute_python made them.`,
          { code: 'FILE_NOT_FOUND' },
        );
      }
      const cached = cache.get(keyOf(conversationId, ref));
      if (cached) return { figure, data: cached };
      let read: Awaited<ReturnType<typeof readFigureBytes>>;
      try {
        // More bytes than the sink stored are not this figure's.
        read = await readFigureBytes(figure, {
          maxBytes: figure.byteLength,
          fetchRemote: true,
          abortSignal,
          timeoutMs: FETCH_TIMEOUT_MS,
        });
      } catch (error) {
        if (abortSignal?.aborted) throw error;
        throw new BackendError(
          `The bytes of ${figure.label} could not be read from ${describeUrl(figure.url)}: ${errorMessage(error)}`,
          { code: 'FILE_NOT_FOUND', cause: error },
        );
      }
      if (!read) {
        throw new BackendError(
          `The bytes of ${figure.label} are gone: the image sink kept none and gave no readable URL.`,
          { code: 'FILE_NOT_FOUND' },
        );
      }
      return { figure, data: read.data };
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

function describeUrl(url: string): string {
  if (url.startsWith('data:')) return 'its data: URL';
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'file:' ? parsed.pathname : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'its URL';
  }
}
