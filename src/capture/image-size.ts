import type { FigureMediaType } from '../types/index.js';

/** Width and height in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

/**
 * The pixel size written in PNG or JPEG data (the PNG IHDR chunk, the JPEG start-of-frame
 * segment), or undefined when the data does not say (SVG, or data too short or malformed). The
 * sandbox's own header could claim any size; this is what a decoder would allocate.
 */
export function imagePixelSize(
  data: Uint8Array,
  mediaType: FigureMediaType,
): PixelSize | undefined {
  if (mediaType === 'image/png') return pngSize(data);
  if (mediaType === 'image/jpeg') return jpegSize(data);
  return undefined;
}

function pngSize(data: Uint8Array): PixelSize | undefined {
  // Signature (8), then the IHDR chunk: length (4), type (4), width (4), height (4).
  if (data.length < 24) return undefined;
  if (String.fromCharCode(...data.subarray(12, 16)) !== 'IHDR') return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

// SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
const START_OF_FRAME = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
]);

function jpegSize(data: Uint8Array): PixelSize | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let position = 2;
  while (position + 9 < data.length) {
    if (data[position] !== 0xff) return undefined;
    const marker = data[position + 1] as number;
    if (marker === 0xff) {
      position += 1;
      continue;
    }
    // Markers without a length: TEM and RST0–RST7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      position += 2;
      continue;
    }
    if (START_OF_FRAME.has(marker)) {
      return { width: view.getUint16(position + 7), height: view.getUint16(position + 5) };
    }
    position += 2 + view.getUint16(position + 2);
  }
  return undefined;
}
