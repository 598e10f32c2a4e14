import { describe, expect, it } from 'vitest';
import { imagePixelSize } from '../../../src/capture/image-size.js';
import { checkFigureData } from '../../../src/capture/parse-markers.js';
import { tinyPng } from '../../support/png.js';

/** tinyPng with its IHDR width and height replaced. */
function pngOfSize(width: number, height: number): Uint8Array {
  const bytes = Uint8Array.from(tinyPng);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

/** SOI, an APP0 segment, then a progressive (SOF2) frame header of `width` × `height`. */
function jpegOfSize(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const frame = [0xff, 0xc2, 0x00, 0x0b, 8, height >> 8, height & 0xff, width >> 8, width & 0xff];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...frame, 1, 1, 0x11, 0, 0xff, 0xd9]);
}

describe('imagePixelSize', () => {
  it('reads the size from the PNG IHDR chunk and the JPEG frame header', () => {
    expect(imagePixelSize(tinyPng, 'image/png')).toEqual({ width: 1, height: 1 });
    expect(imagePixelSize(pngOfSize(1000, 600), 'image/png')).toEqual({ width: 1000, height: 600 });
    expect(imagePixelSize(jpegOfSize(640, 480), 'image/jpeg')).toEqual({ width: 640, height: 480 });
  });

  it('says nothing for SVG, or for data too short or malformed to tell', () => {
    expect(imagePixelSize(Buffer.from('<svg/>'), 'image/svg+xml')).toBeUndefined();
    expect(imagePixelSize(tinyPng.subarray(0, 20), 'image/png')).toBeUndefined();
    expect(imagePixelSize(Uint8Array.from([0xff, 0xd8, 0xff, 0x00]), 'image/jpeg')).toBeUndefined();
  });
});

describe('checkFigureData and maxFigureSidePixels', () => {
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

  it('holds an SVG to the size its marker announced', () => {
    const data = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
    const figure = { index: 2, mediaType: 'image/svg+xml' as const, width: 12_000, height: 10 };
    expect(checkFigureData(figure, data, limits)).toBe(
      '12000×10 px is over maxFigureSidePixels (8000)',
    );
  });
});
