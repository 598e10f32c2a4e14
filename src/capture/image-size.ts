import { crc32 } from './crc32.js';

/** Width and height in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

// The largest side a PNG may state (2^31 - 1).
const MAX_PNG_SIDE = 0x7fffffff;
// SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
const START_OF_FRAME = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
]);
// Segments decoders read past before the scan: DHT, DAC, DQT, DNL, DRI, APP0–APP15, COM.
const SKIPPED_SEGMENTS = new Set([
  0xc4, 0xcc, 0xdb, 0xdc, 0xdd, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
  0xeb, 0xec, 0xed, 0xee, 0xef, 0xfe,
]);
const START_OF_SCAN = 0xda;

/**
 * The pixel size written in PNG or JPEG data, read the way a decoder reads it, or why it cannot
 * be read. The sandbox's own header could claim any size, and a decoder that finds a size
 * somewhere the host did not look would allocate that: so the PNG IHDR must be the first chunk
 * with a valid CRC, and a JPEG's markers are followed exactly as decoders follow them up to the
 * scan, the first frame header (SOFn) giving the size. Data whose size cannot be read reliably
 * gets a reason instead (it is refused).
 */
export function imagePixelSize(
  data: Uint8Array,
  mediaType: 'image/png' | 'image/jpeg',
): PixelSize | string {
  return mediaType === 'image/png' ? pngSize(data) : jpegSize(data);
}

function pngSize(data: Uint8Array): PixelSize | string {
  // Signature (8), then the IHDR chunk: length (4), type (4), 13 bytes of data, CRC (4).
  if (data.length < 33) return 'the PNG is too short to hold its IHDR chunk';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = String.fromCharCode(...data.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR')
    return 'the PNG does not start with its IHDR chunk';
  if (crc32(data.subarray(12, 29)) !== view.getUint32(29))
    return 'the PNG IHDR chunk fails its CRC';
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0 || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) {
    return `the PNG states an impossible size (${width}×${height})`;
  }
  return { width, height };
}

// Follows markers from after SOI as libjpeg does: fill bytes (FF) are skipped, standalone
// markers have no length, every other segment is skipped by its length. Where libjpeg would
// skip junk bytes looking for the next marker (and might find a frame the host missed), the
// data is refused instead.
function jpegSize(data: Uint8Array): PixelSize | string {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let size: PixelSize | undefined;
  let position = 2;
  for (;;) {
    if (position >= data.length) {
      return size === undefined
        ? 'the JPEG has no frame header (SOF)'
        : 'the JPEG ends before its image data (SOS)';
    }
    if (data[position] !== 0xff) {
      return `the JPEG has a byte that is not a marker where a marker must start (offset ${position})`;
    }
    while (data[position] === 0xff) position++;
    const marker = data[position];
    position++;
    if (marker === undefined) return 'the JPEG ends inside a marker';
    // TEM and RST0–RST7 stand alone.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === START_OF_SCAN)
      return size ?? 'the JPEG image data (SOS) comes before any frame header (SOF)';
    if (!START_OF_FRAME.has(marker) && !SKIPPED_SEGMENTS.has(marker)) {
      return `the JPEG has an unexpected marker 0x${marker.toString(16).padStart(2, '0').toUpperCase()} before its image data`;
    }
    if (position + 2 > data.length) return 'the JPEG ends inside a segment';
    const length = view.getUint16(position);
    if (length < 2 || position + length > data.length)
      return 'the JPEG has a segment that runs past its end';
    if (START_OF_FRAME.has(marker)) {
      if (length < 8) return 'the JPEG frame header (SOF) is too short';
      const frame = { width: view.getUint16(position + 5), height: view.getUint16(position + 3) };
      if (frame.width === 0 || frame.height === 0) {
        return `the JPEG frame header states no size (${frame.width}×${frame.height})`;
      }
      if (size !== undefined && (size.width !== frame.width || size.height !== frame.height)) {
        return `the JPEG has two frame headers that disagree (${size.width}×${size.height}, ${frame.width}×${frame.height})`;
      }
      size = frame;
    }
    position += length;
  }
}
