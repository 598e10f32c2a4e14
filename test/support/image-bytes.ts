import { crc32 } from '../../src/capture/crc32.js';
import { tinyPng } from './png.js';

/** A PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** tinyPng with its IHDR saying `width` × `height` (and a CRC to match). */
export function pngOfSize(width: number, height: number): Uint8Array {
  const bytes = Uint8Array.from(tinyPng);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(bytes.subarray(12, 29)));
  return bytes;
}

/** A JPEG segment: FF, its marker, a length, then `body`. */
export function jpegSegment(marker: number, body: readonly number[]): number[] {
  const length = body.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...body];
}

/** A baseline (SOF0) one-component frame header of `width` × `height`. */
export function jpegFrame(width: number, height: number, marker = 0xc0): number[] {
  return jpegSegment(marker, [
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    1,
    1,
    0x11,
    0,
  ]);
}

/** JFIF APP0, as PIL writes it. */
export const JPEG_APP0 = jpegSegment(0xe0, [...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
/** A start of scan for one component, then a few bytes of entropy-coded data and the EOI. */
export const JPEG_SCAN = [
  ...jpegSegment(0xda, [1, 1, 0, 0, 0x3f, 0]),
  0x12,
  0x34,
  0xff,
  0x00,
  0x56,
  0xff,
  0xd9,
];

/** SOI, APP0, a frame header of `width` × `height`, a scan: a JPEG whose size reads as a decoder reads it. */
export function jpegOfSize(width: number, height: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, ...JPEG_APP0, ...jpegFrame(width, height), ...JPEG_SCAN]);
}
