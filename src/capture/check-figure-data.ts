import type { CapturedFigure, FigureMediaType, FileFigure } from '../types/index.js';
import { DEFAULT_CAPTURE } from './capture-options.js';
import { formatBytes } from './format-bytes.js';
import { imagePixelSize } from './image-size.js';
import { svgActiveContent } from './svg-safety.js';

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
// How far into an SVG file its root element may start (after a declaration, doctype, comments).
const SVG_ROOT_SEARCH_BYTES = 64 * 1024;

/**
 * Checks figure bytes against what their marker announced (the image format) and the limits
 * (`maxFigureBytes`, `maxFigureSidePixels`). A PNG's or JPEG's width and height are taken from
 * its data, not from the marker. Returns the figure owning its memory, or why it was refused.
 */
export function checkFigureData(
  figure: FileFigure,
  data: Uint8Array,
  limits: FigureDataLimits,
): CapturedFigure | string {
  const { maxFigureBytes, maxFigureSidePixels = DEFAULT_CAPTURE.maxFigureSidePixels } = limits;
  if (data.byteLength > maxFigureBytes) {
    return `${formatBytes(data.byteLength)} is over maxFigureBytes (${formatBytes(maxFigureBytes)})`;
  }
  if (!hasFormat(data, figure.mediaType)) {
    return `the image data is not a ${FORMAT_NAMES[figure.mediaType]} image`;
  }
  const active = figure.mediaType === 'image/svg+xml' ? svgActiveContent(data) : undefined;
  if (active !== undefined) return active;
  // Undefined for SVG and for data too short to say; then the marker's size is what there is.
  const size = imagePixelSize(data, figure.mediaType);
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

function hasFormat(bytes: Uint8Array, mediaType: FigureMediaType): boolean {
  switch (mediaType) {
    case 'image/png':
      return startsWith(bytes, PNG_MAGIC);
    case 'image/jpeg':
      return startsWith(bytes, JPEG_MAGIC);
    case 'image/svg+xml':
      return hasSvgRoot(bytes);
  }
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, offset) => bytes[offset] === byte);
}

// The root element is <svg>, after an optional BOM, XML declaration, doctype, comments and
// processing instructions.
function hasSvgRoot(bytes: Uint8Array): boolean {
  const text = Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    Math.min(bytes.length, SVG_ROOT_SEARCH_BYTES),
  ).toString('latin1');
  let position = text.startsWith('\xef\xbb\xbf') ? 3 : 0;
  for (;;) {
    while (position < text.length && /\s/.test(text.charAt(position))) position++;
    if (text.startsWith('<?', position)) {
      const close = text.indexOf('?>', position + 2);
      if (close === -1) return false;
      position = close + 2;
    } else if (text.startsWith('<!--', position)) {
      const close = text.indexOf('-->', position + 4);
      if (close === -1) return false;
      position = close + 3;
    } else if (text.slice(position, position + 9).toUpperCase() === '<!DOCTYPE') {
      const close = doctypeEnd(text, position + 9);
      if (close === -1) return false;
      position = close + 1;
    } else {
      return /^<svg[\s>/]/.test(text.slice(position, position + 5));
    }
  }
}

// Index of the `>` that closes a doctype, skipping an internal subset in brackets and quotes.
function doctypeEnd(text: string, from: number): number {
  let quote = '';
  let depth = 0;
  for (let position = from; position < text.length; position++) {
    const char = text.charAt(position);
    if (quote !== '') {
      if (char === quote) quote = '';
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[') {
      depth++;
    } else if (char === ']') {
      depth--;
    } else if (char === '>' && depth <= 0) {
      return position;
    }
  }
  return -1;
}
