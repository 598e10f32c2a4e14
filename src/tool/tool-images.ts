import { errorMessage } from '../errors/index.js';
import type { ExecutionResult } from '../types/index.js';
import { FigureTooLargeError, readFigureBytes } from './figure-bytes.js';
import type { LedgerFigure } from './figure-ledger.js';
import { formatBytes } from './text.js';
import type { OutputSettings } from './tool-options.js';
import type { ToolImage } from './tool-types.js';

/** The images attached for the model, and why each other figure was not attached (by `ref`). */
export interface AttachedImages {
  images: ToolImage[];
  notAttached: Map<number, string>;
}

type ImageSettings = Pick<OutputSettings, 'imagesForModel' | 'maxImageBytes' | 'maxImages'>;

const FETCH_TIMEOUT_MS = 30_000;

/**
 * Picks the figures to attach as images (PNG/JPEG, within `maxImages` and `maxImageBytes`) and
 * reads their bytes back: from the execution's result, else from where the sink left them (an
 * http(s) URL only with `imagesForModel: 'always'`). Rejects only when `abortSignal` aborts.
 */
export async function attachImages(
  result: ExecutionResult,
  figures: readonly LedgerFigure[],
  settings: ImageSettings,
  abortSignal?: AbortSignal,
): Promise<AttachedImages> {
  const attached: AttachedImages = { images: [], notAttached: new Map() };
  if (settings.imagesForModel === 'never') return attached;
  const bytes = new Map(result.figures.map((figure) => [figure.index, figure.data]));
  for (const figure of figures) {
    const outcome = await imageFor(
      { ...figure, data: bytes.get(figure.index) },
      settings,
      attached.images.length,
      abortSignal,
    );
    if ('image' in outcome) attached.images.push(outcome.image);
    else attached.notAttached.set(figure.ref, outcome.reason);
  }
  return attached;
}

async function imageFor(
  figure: LedgerFigure & { data: Uint8Array | undefined },
  settings: ImageSettings,
  alreadyAttached: number,
  abortSignal: AbortSignal | undefined,
): Promise<{ image: ToolImage } | { reason: string }> {
  const format =
    figure.mediaType === 'image/png'
      ? 'png'
      : figure.mediaType === 'image/jpeg'
        ? 'jpeg'
        : undefined;
  if (!format) return { reason: `${figure.mediaType} is not an image format models accept` };
  if (alreadyAttached >= settings.maxImages) {
    return { reason: `over the limit of ${settings.maxImages} images per call` };
  }
  if (figure.byteLength > settings.maxImageBytes) return overBudget(figure.byteLength, settings);
  let read: Awaited<ReturnType<typeof readFigureBytes>>;
  try {
    read = await readFigureBytes(figure, {
      maxBytes: settings.maxImageBytes,
      fetchRemote: settings.imagesForModel === 'always',
      abortSignal,
      timeoutMs: FETCH_TIMEOUT_MS,
    });
  } catch (error) {
    if (abortSignal?.aborted) throw error;
    if (error instanceof FigureTooLargeError && error.byteLength !== undefined) {
      return overBudget(error.byteLength, settings);
    }
    return { reason: `its bytes could not be read (${errorMessage(error)})` };
  }
  if (!read) {
    // The model cannot change `imagesForModel` ("always" downloads such figures): not its text.
    return { reason: 'the image sink kept no bytes to attach' };
  }
  return {
    image: {
      ref: figure.ref,
      mediaType: figure.mediaType as ToolImage['mediaType'],
      format,
      data: read.data,
    },
  };
}

function overBudget(byteLength: number, settings: ImageSettings): { reason: string } {
  return {
    reason: `${formatBytes(byteLength)}, over the image budget of ${formatBytes(settings.maxImageBytes)}`,
  };
}
