import { describe, expect, it } from 'vitest';
import { imagePixelSize } from '../../../src/capture/image-size.js';
import { checkFigureData } from '../../../src/capture/parse-markers.js';
import {
  JPEG_APP0,
  JPEG_SCAN,
  jpegFrame,
  jpegOfSize,
  jpegSegment,
  pngChunk,
  pngOfSize,
} from '../../support/image-bytes.js';
import { tinyPng } from '../../support/png.js';

const SOI = [0xff, 0xd8];
const jpeg = (...parts: number[][]) => Uint8Array.from([...SOI, ...parts.flat()]);

/** tinyPng with `chunk` inserted between the signature and IHDR. */
function pngWithChunkBeforeIhdr(chunk: Uint8Array): Uint8Array {
  return Uint8Array.from([...tinyPng.subarray(0, 8), ...chunk, ...tinyPng.subarray(8)]);
}

describe('imagePixelSize', () => {
  it('reads the size from the PNG IHDR chunk and the JPEG frame header', () => {
    expect(imagePixelSize(tinyPng, 'image/png')).toEqual({ width: 1, height: 1 });
    expect(imagePixelSize(pngOfSize(1000, 600), 'image/png')).toEqual({ width: 1000, height: 600 });
    expect(imagePixelSize(jpegOfSize(640, 480), 'image/jpeg')).toEqual({ width: 640, height: 480 });
  });

  it('follows JPEG markers as decoders do: fill bytes, standalone markers, any SOF kind', () => {
    const progressive = jpeg(JPEG_APP0, jpegFrame(300, 200, 0xc2), JPEG_SCAN);
    const fillBytes = jpeg(
      [0xff, 0xff],
      JPEG_APP0,
      [0xff, 0xff, 0xff],
      jpegFrame(30, 20),
      JPEG_SCAN,
    );
    const standalone = jpeg([0xff, 0xd0, 0xff, 0x01], JPEG_APP0, jpegFrame(30, 20), JPEG_SCAN);
    const tables = jpeg(
      JPEG_APP0,
      jpegSegment(0xdb, new Array(65).fill(1)),
      jpegSegment(0xfe, [...Buffer.from('comment')]),
      jpegFrame(30, 20),
      jpegSegment(0xc4, new Array(20).fill(0)),
      JPEG_SCAN,
    );
    const twoFramesThatAgree = jpeg(jpegFrame(30, 20), jpegFrame(30, 20, 0xc2), JPEG_SCAN);
    expect(imagePixelSize(progressive, 'image/jpeg')).toEqual({ width: 300, height: 200 });
    for (const data of [fillBytes, standalone, tables, twoFramesThatAgree]) {
      expect(imagePixelSize(data, 'image/jpeg')).toEqual({ width: 30, height: 20 });
    }
  });

  it.each<[string, Uint8Array, RegExp]>([
    [
      'a chunk before IHDR',
      pngWithChunkBeforeIhdr(pngChunk('tEXt', Buffer.from('a\0b'))),
      /does not start with its IHDR/,
    ],
    [
      'an IHDR whose CRC does not match',
      Uint8Array.from([...tinyPng.subarray(0, 16), 0, 0, 0x4e, 0x20, ...tinyPng.subarray(20)]),
      /CRC/,
    ],
    ['data too short for IHDR', tinyPng.subarray(0, 30), /too short/],
    ['a zero width', pngOfSize(0, 10), /impossible size/],
    ['a width over 2^31 - 1', pngOfSize(0x80000000, 10), /impossible size/],
  ])('refuses a PNG with %s', (_, data, reason) => {
    expect(imagePixelSize(data, 'image/png')).toMatch(reason);
  });

  it.each<[string, Uint8Array, RegExp]>([
    // Decoders skip the junk and read the frame after it; a host that stopped there read none.
    [
      'one junk byte after APP0',
      jpeg(JPEG_APP0, [0x00], jpegFrame(20_000, 20_000), JPEG_SCAN),
      /not a marker where a marker must start/,
    ],
    ['no frame header before the scan', jpeg(JPEG_APP0, JPEG_SCAN), /before any frame header/],
    ['no frame header at all', jpeg(JPEG_APP0), /no frame header/],
    [
      'a frame header but no scan',
      jpeg(JPEG_APP0, jpegFrame(30, 20)),
      /ends before its image data/,
    ],
    [
      'two frame headers that disagree',
      jpeg(jpegFrame(100, 100), jpegFrame(20_000, 20_000, 0xc2), JPEG_SCAN),
      /two frame headers that disagree \(100×100, 20000×20000\)/,
    ],
    ['a second SOI', jpeg([0xff, 0xd8], jpegFrame(30, 20), JPEG_SCAN), /unexpected marker 0xD8/],
    ['a stuffed zero where a marker is', jpeg([0xff, 0x00], jpegFrame(30, 20), JPEG_SCAN), /0x00/],
    [
      'a segment longer than the data',
      jpeg([0xff, 0xe1, 0x7f, 0xff, 1, 2, 3]),
      /runs past its end/,
    ],
    ['a segment length under 2', jpeg([0xff, 0xe1, 0x00, 0x01], JPEG_SCAN), /runs past its end/],
    ['a frame header of zero height', jpeg(jpegFrame(30, 0), JPEG_SCAN), /states no size/],
    ['data ending inside a marker', jpeg([0xff, 0xff]), /ends inside a marker/],
  ])('refuses a JPEG with %s', (_, data, reason) => {
    expect(imagePixelSize(data, 'image/jpeg')).toMatch(reason);
  });
});

describe('checkFigureData and the pixel size', () => {
  const limits = { maxFigureBytes: 1024 * 1024 };

  it('refuses a PNG whose data is wider than the limit, whatever its marker says', () => {
    const figure = { index: 0, mediaType: 'image/png' as const, width: 10, height: 10 };
    expect(checkFigureData(figure, pngOfSize(100_000, 10), limits)).toBe(
      '100000×10 px is over maxFigureSidePixels (8000)',
    );
    expect(
      checkFigureData(figure, pngOfSize(10, 9000), { ...limits, maxFigureSidePixels: 9000 }),
    ).toMatchObject({ width: 10, height: 9000 });
  });

  it('refuses a JPEG frame over the limit, and takes the size from the data', () => {
    const figure = { index: 1, mediaType: 'image/jpeg' as const };
    expect(checkFigureData(figure, jpegOfSize(8001, 8001), limits)).toBe(
      '8001×8001 px is over maxFigureSidePixels (8000)',
    );
    expect(
      checkFigureData({ ...figure, width: 5, height: 5 }, jpegOfSize(640, 480), limits),
    ).toMatchObject({ width: 640, height: 480 });
  });

  it('refuses an image whose size cannot be read reliably, whatever size its marker claims', () => {
    const claimed = { width: 100, height: 100 };
    const junkAfterApp0 = jpeg(JPEG_APP0, [0x00], jpegFrame(20_000, 20_000), JPEG_SCAN);
    const chunkFirst = pngWithChunkBeforeIhdr(pngChunk('tEXt', Buffer.from('a\0b')));
    expect(
      checkFigureData({ index: 2, mediaType: 'image/jpeg', ...claimed }, junkAfterApp0, limits),
    ).toMatch(/^its pixel size cannot be read reliably: the JPEG has a byte that is not a marker/);
    expect(
      checkFigureData({ index: 3, mediaType: 'image/png', ...claimed }, chunkFirst, limits),
    ).toBe('its pixel size cannot be read reliably: the PNG does not start with its IHDR chunk');
  });

  it('holds an SVG to the size its marker announced', () => {
    const data = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
    const figure = { index: 2, mediaType: 'image/svg+xml' as const, width: 12_000, height: 10 };
    expect(checkFigureData(figure, data, limits)).toBe(
      '12000×10 px is over maxFigureSidePixels (8000)',
    );
  });
});
