import { describe, expect, it } from 'vitest';
import { parseFigureMarkers } from '../../../src/capture/parse-markers.js';
import { tinyPng } from '../../support/png.js';

const nonce = '0123456789abcdef0123456789abcdef';

function marker(kind: string, header: unknown, data = ''): string {
  const encoded = Buffer.from(JSON.stringify(header), 'utf8').toString('base64');
  return `@@sandplot:${nonce}:${kind}:${encoded}:${data}\n`;
}

// Found by test/reliability/fuzz.test.ts: the format was looked up with `MEDIA_TYPES[format]`,
// which finds Object.prototype's members, so a figure-file marker with format "toString" was
// accepted with a function as its media type.
describe('parseFigureMarkers with a format named like an Object.prototype member', () => {
  for (const format of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    it(`refuses format ${JSON.stringify(format)} in figure and figure-file markers`, () => {
      const header = { index: 0, format, width: 1, height: 1 };
      const stdout =
        marker('figure', header, Buffer.from(tinyPng).toString('base64')) +
        marker('figure-file', header);
      const parsed = parseFigureMarkers(stdout, { nonce });
      expect(parsed.figures).toEqual([]);
      expect(parsed.fileFigures).toEqual([]);
      expect(parsed.problems).toEqual([
        { stage: 'parse', index: 0, reason: `figure 1: unknown format ${JSON.stringify(format)}` },
        { stage: 'parse', index: 0, reason: `figure 1: unknown format ${JSON.stringify(format)}` },
      ]);
    });
  }
});
