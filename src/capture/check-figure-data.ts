import type { CapturedFigure, FigureMediaType, FileFigure } from '../types/index.js';
import { DEFAULT_CAPTURE } from './capture-options.js';
import { formatBytes } from './format-bytes.js';
import { imagePixelSize, type PixelSize } from './image-size.js';
import { type SvgCheck, svgRefusal } from './svg-safety.js';

/** The limits `checkFigureData` holds figure bytes to. */
export interface FigureDataLimits {
  maxFigureBytes: number;
  /** @default 8000 */
  maxFigureSidePixels?: number;
}

const FORMAT_NAMES: Readonly<Record<FigureMediaType, string>> = {
  'image/png': 'PNG',
  'image/svg+xml': 'SVG',
  'image/jpeg': 'JPEG',
};
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

/**
 * Checks figure bytes against what their marker announced (the image format) and the limits
 * (`maxFigureBytes`, `maxFigureSidePixels`). A PNG's or JPEG's width and height are taken from
 * its data, not from the marker (data whose size cannot be read reliably is refused); an SVG must
 * pass `svgRefusal`'s allow-list. Returns the figure owning its memory, or why it was refused.
 */
export function checkFigureData(
  figure: FileFigure,
  data: Uint8Array,
  limits: FigureDataLimits,
  /** An SVG's check, when its bytes were pushed to it as they arrived. */
  svgCheck?: SvgCheck,
): CapturedFigure | string {
  const { maxFigureBytes, maxFigureSidePixels = DEFAULT_CAPTURE.maxFigureSidePixels } = limits;
  if (data.byteLength > maxFigureBytes) {
    return `${formatBytes(data.byteLength)} is over maxFigureBytes (${formatBytes(maxFigureBytes)})`;
  }
  let size: PixelSize | undefined;
  if (figure.mediaType === 'image/svg+xml') {
    // An SVG's size is the marker's: it scales, and browsers draw it at the size they are given.
    const refused = svgCheck === undefined ? svgRefusal(data) : svgCheck.end();
    if (refused !== undefined) return refused;
  } else {
    if (!hasFormat(data, figure.mediaType)) {
      return `the image data is not a ${FORMAT_NAMES[figure.mediaType]} image`;
    }
    const read = imagePixelSize(data, figure.mediaType);
    if (typeof read === 'string') return `its pixel size cannot be read reliably: ${read}`;
    size = read;
  }
  const width = size?.width ?? figure.width ?? 0;
  const height = size?.height ?? figure.height ?? 0;
  if (Math.max(width, height) > maxFigureSidePixels) {
    return `${width}×${height} px is over maxFigureSidePixels (${maxFigureSidePixels})`;
  }
  const checked: CapturedFigure = { ...figure, data: ownBytes(data) };
  if (size !== undefined) {
    checked.width = size.width;
    checked.height = size.height;
  }
  return checked;
}

// Small buffers share Node's pool; a figure must own its memory (sinks may hand on `.buffer`).
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

function hasFormat(bytes: Uint8Array, mediaType: 'image/png' | 'image/jpeg'): boolean {
  return startsWith(bytes, mediaType === 'image/png' ? PNG_MAGIC : JPEG_MAGIC);
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, offset) => bytes[offset] === byte);
}
