import { randomBytes } from 'node:crypto';
import type { CapturedFigure, FigureMediaType } from '../../types/index.js';

/** A real 1×1 RGBA PNG: signature, IHDR, IDAT, IEND. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
/** Where IHDR ends: the 8-byte signature plus IHDR's 25 bytes. */
const AFTER_IHDR = 33;

/** Every byte value once (NUL, CR, LF, invalid UTF-8...), so text handling anywhere shows. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, value) => value);

const crcTable = Uint32Array.from({ length: 256 }, (_, byte) => {
  let value = byte;
  for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let value = 0xffffffff;
  for (const byte of bytes) value = (crcTable[(value ^ byte) & 0xff] as number) ^ (value >>> 8);
  return (value ^ 0xffffffff) >>> 0;
}

/** A private ancillary PNG chunk (`saNd`) holding `payload`; decoders skip it. */
function pngChunk(payload: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from('saNd', 'latin1'), payload]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(payload.byteLength);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A JPEG start, a comment segment holding `payload`, and a JPEG end. */
function jpegWith(payload: Uint8Array): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(payload.byteLength + 2);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xfe]),
    length,
    payload,
    Buffer.from([0xff, 0xd9]),
  ]);
}

function svgWith(tag: string): Buffer {
  // Non-ASCII text and a CRLF: a sink that re-encodes or normalises line ends changes the bytes.
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\r\n` +
      `<title>Umsätze – 売上 📈 ${tag}</title><rect width="10" height="10"/></svg>\n`,
    'utf8',
  );
}

/** Bytes of a valid-looking figure of `mediaType`, unique to this call (a random tag inside). */
export function sampleFigureBytes(mediaType: FigureMediaType): Uint8Array {
  const tag = randomBytes(8);
  const payload = Buffer.concat([ALL_BYTES, tag]);
  if (mediaType === 'image/svg+xml') return new Uint8Array(svgWith(tag.toString('hex')));
  if (mediaType === 'image/jpeg') return new Uint8Array(jpegWith(payload));
  return new Uint8Array(
    Buffer.concat([
      TINY_PNG.subarray(0, AFTER_IHDR),
      pngChunk(payload),
      TINY_PNG.subarray(AFTER_IHDR),
    ]),
  );
}

/** A captured figure with every optional field set, so a sink that drops one shows. */
export function sampleFigure(
  index: number,
  mediaType: FigureMediaType = 'image/png',
  title = `Conformance figure ${index + 1}`,
): CapturedFigure {
  return { index, mediaType, data: sampleFigureBytes(mediaType), width: 1, height: 1, title };
}

/** An execution id like CodeSandbox makes: 32 random hex characters. */
export function sampleExecutionId(): string {
  return randomBytes(16).toString('hex');
}
