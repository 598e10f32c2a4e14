/** Pixel size from a PNG's IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((byte, index) => bytes[index] !== byte)) {
    throw new Error('not a PNG');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** A real 1×1 PNG, for sink tests that need valid bytes without running Python. */
export const tinyPng = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  ),
);

/**
 * True for the pixel size of a sales-analysis figure: 10×6 inches at 100 dpi, cropped to what is
 * drawn on it (`capture.tightBoundingBox`), so a little inside the 1000×600 canvas.
 */
export function isSalesFigureSize(size: { width: number; height: number }): boolean {
  return size.width > 800 && size.width <= 1000 && size.height > 500 && size.height <= 600;
}

/** The tool's line for the sales analysis's first figure, whatever its cropped size. */
export const SALES_FIGURE_LINE =
  /- figure 1, "Sales trends", \d{3,4}×\d{3} px, attached as an image/;
