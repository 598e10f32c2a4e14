import { describe, expect, it } from 'vitest';
import {
  createFigureMarkerParser,
  type ParsedFigureMarkers,
  parseFigureMarkers,
} from '../../../src/capture/parse-markers.js';
import { jpegOfSize } from '../../support/image-bytes.js';
import { tinyPng } from '../../support/png.js';

const nonce = '0123456789abcdef0123456789abcdef';
const otherNonce = 'fedcba9876543210fedcba9876543210';
const prefix = `@@sandplot:${nonce}:`;

const jpegBytes = jpegOfSize(640, 480);
const svgBytes = new TextEncoder().encode(
  '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' +
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' +
    '<!-- made by hand -->\n<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt"></svg>\n',
);

function base64(value: string | Uint8Array): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)).toString(
    'base64',
  );
}

function marker(
  kind: string,
  header: unknown,
  data: Uint8Array | string = '',
  markerNonce = nonce,
): string {
  const encodedData = typeof data === 'string' ? data : base64(data);
  return `@@sandplot:${markerNonce}:${kind}:${base64(JSON.stringify(header))}:${encodedData}\n`;
}

function figure(
  index: number,
  data: Uint8Array = tinyPng,
  extra: Record<string, unknown> = {},
): string {
  return marker('figure', { index, format: 'png', width: 1, height: 1, ...extra }, data);
}

// Deterministic PRNG (mulberry32), so a failing split can be replayed from its seed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function parseInChunks(
  input: string,
  sizes: () => number,
  maxFigureBytes?: number,
): ParsedFigureMarkers {
  const parser = createFigureMarkerParser(
    maxFigureBytes === undefined ? { nonce } : { nonce, maxFigureBytes },
  );
  let stdout = '';
  for (let position = 0; position < input.length; ) {
    const size = sizes();
    stdout += parser.push(input.slice(position, position + size));
    position += size;
  }
  stdout += parser.end();
  const result: ParsedFigureMarkers = {
    stdout,
    figures: parser.figures,
    fileFigures: parser.fileFigures,
    problems: parser.problems,
    displays: parser.displays,
    freshInterpreter: parser.freshInterpreter,
  };
  if (parser.error !== undefined) result.error = parser.error;
  return result;
}

describe('parseFigureMarkers', () => {
  it('separates user output, figures, capture problems and the error', () => {
    const error = {
      name: 'ZeroDivisionError',
      value: 'division by zero',
      traceback: 'Traceback ...\n',
    };
    const stdout =
      'first line\nno newline yet' +
      figure(0, tinyPng, { title: 'Umsatz € ✓' }) +
      'after\n' +
      marker('figure', { index: 1, format: 'jpeg', width: 640, height: 480 }, jpegBytes) +
      marker('figure', { index: 2, format: 'svg' }, svgBytes) +
      marker('problem', { index: 3, reason: 'figure 3 is 12.3 MB, over maxFigureBytes (10 MB)' }) +
      marker('problem', { reason: 'no index here' }) +
      marker('error', error) +
      'last';
    const result = parseFigureMarkers(stdout, { nonce });
    expect(result.stdout).toBe('first line\nno newline yetafter\nlast');
    expect(result.figures).toEqual([
      { index: 0, mediaType: 'image/png', data: tinyPng, width: 1, height: 1, title: 'Umsatz € ✓' },
      { index: 1, mediaType: 'image/jpeg', data: jpegBytes, width: 640, height: 480 },
      { index: 2, mediaType: 'image/svg+xml', data: svgBytes },
    ]);
    expect(result.problems).toEqual([
      { stage: 'capture', index: 3, reason: 'figure 3 is 12.3 MB, over maxFigureBytes (10 MB)' },
      { stage: 'capture', reason: 'no index here' },
    ]);
    expect(result.error).toEqual(error);
  });

  it('gives each figure its own memory, not a view of a shared pool', () => {
    const { figures } = parseFigureMarkers(figure(0) + figure(1), { nonce });
    for (const { data } of figures) {
      expect(data).toBeInstanceOf(Uint8Array);
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(data.byteLength);
    }
  });

  it('leaves markers with another nonce, no nonce or a changed nonce untouched', () => {
    const stdout =
      figure(0).replace(nonce, otherNonce) +
      figure(0).replace(`${nonce}:`, '') +
      figure(0).replace(nonce, nonce.toUpperCase()) +
      figure(0).replace(nonce, nonce.slice(1)) +
      `@@sandplot:${nonce}`;
    const result = parseFigureMarkers(stdout, { nonce });
    expect(result).toEqual({
      stdout,
      figures: [],
      fileFigures: [],
      problems: [],
      displays: [],
      freshInterpreter: false,
    });
  });

  it('collects figure-file markers as file figures, with no bytes and no path', () => {
    const stdout =
      'before\n' +
      marker('figure-file', { index: 0, format: 'png', width: 640, height: 480, title: 'Sales' }) +
      'between\n' +
      marker('figure-file', { index: 1, format: 'jpeg', width: 8, height: 9 }) +
      marker('figure-file', { index: 2, format: 'svg', title: '' }) +
      'after';
    const result = parseFigureMarkers(stdout, { nonce });
    expect(result.stdout).toBe('before\nbetween\nafter');
    expect(result.figures).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(result.fileFigures).toEqual([
      { index: 0, mediaType: 'image/png', width: 640, height: 480, title: 'Sales' },
      { index: 1, mediaType: 'image/jpeg', width: 8, height: 9 },
      { index: 2, mediaType: 'image/svg+xml' },
    ]);
  });

  it('turns malformed figure-file markers into parse problems', () => {
    const stdout = [
      `${prefix}figure-file:not base64!:\n`,
      `${prefix}figure-file:${base64('[1]')}:\n`,
      marker('figure-file', { format: 'png' }),
      marker('figure-file', { index: -1, format: 'png' }),
      marker('figure-file', { index: 3, format: 'gif' }),
      marker('figure-file', { index: 4, format: 'png', width: 1.5 }),
      marker('figure-file', { index: 5, format: 'png', title: 7 }),
      marker('figure-file', { index: 6, format: 'png' }, tinyPng),
      marker('figure-file', { index: 7, format: 'png', path: '/etc/passwd' }),
    ].join('');
    const result = parseFigureMarkers(stdout, { nonce });
    expect(result.stdout).toBe('');
    expect(result.problems).toEqual([
      { stage: 'parse', reason: 'malformed "figure-file" marker: the header is not valid base64' },
      { stage: 'parse', reason: 'malformed "figure-file" marker: the header is not a JSON object' },
      {
        stage: 'parse',
        reason: 'malformed figure-file marker: "index" must be a whole number >= 0',
      },
      {
        stage: 'parse',
        reason: 'malformed figure-file marker: "index" must be a whole number >= 0',
      },
      { stage: 'parse', index: 3, reason: 'figure 4: unknown format "gif"' },
      { stage: 'parse', index: 4, reason: 'figure 5: "width" must be a whole number >= 0' },
      { stage: 'parse', index: 5, reason: 'figure 6: "title" must be a string' },
      { stage: 'parse', index: 6, reason: 'figure 7: a figure-file marker carries no data' },
    ]);
    // A path in the header is ignored: where the file is comes from the nonce and index alone.
    expect(result.fileFigures).toEqual([{ index: 7, mediaType: 'image/png' }]);
  });

  it('leaves a figure-file marker with another nonce as plain stdout', () => {
    const forged = marker('figure-file', { index: 0, format: 'png' }, '', otherNonce);
    const result = parseFigureMarkers(`a\n${forged}b`, { nonce });
    expect(result.stdout).toBe(`a\n${forged}b`);
    expect(result.fileFigures).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it('accepts a marker line ending in \\r\\n', () => {
    const result = parseFigureMarkers(`a\n${figure(0).replace('\n', '\r\n')}b`, { nonce });
    expect(result.stdout).toBe('a\nb');
    expect(result.figures).toHaveLength(1);
  });

  const malformed: [string, string, number | undefined, RegExp][] = [
    ['bad base64 data', figure(4).replace(/:[^:]+\n$/, ':iVBOR*w0KGgo=\n'), 4, /not valid base64/],
    ['data of a length base64 never has', figure(4).replace(/\n$/, 'A\n'), 4, /not valid base64/],
    [
      'a header that is not base64',
      `${prefix}figure:e30!:AAAA\n`,
      undefined,
      /header is not valid base64/,
    ],
    [
      'a header that is not JSON',
      `${prefix}figure:${base64('{index:1')}:\n`,
      undefined,
      /not JSON/,
    ],
    [
      'a header that is not an object',
      `${prefix}figure:${base64('[1]')}:\n`,
      undefined,
      /not a JSON object/,
    ],
    [
      'a header that is not UTF-8',
      `${prefix}error:${base64(Uint8Array.from([0x7b, 0xff, 0x7d]))}:\n`,
      undefined,
      /not UTF-8/,
    ],
    ['no separators', `${prefix}figure\n`, undefined, /expected \{kind\}:\{header\}:\{data\}/],
    ['an empty marker', `${prefix}\n`, undefined, /malformed marker/],
    ['an unknown kind', marker('picture', { index: 2 }), 2, /unknown marker kind "picture"/],
    [
      'a string index',
      marker('figure', { index: '0', format: 'png' }, tinyPng),
      undefined,
      /"index" must be/,
    ],
    [
      'a negative index',
      marker('figure', { index: -1, format: 'png' }, tinyPng),
      undefined,
      /"index" must be/,
    ],
    ['a fractional width', figure(5, tinyPng, { width: 1.5 }), 5, /"width" must be/],
    ['a string height', figure(5, tinyPng, { height: '1' }), 5, /"height" must be/],
    [
      'a title that is not a string',
      figure(5, tinyPng, { title: 7 }),
      5,
      /"title" must be a string/,
    ],
    [
      'an unknown format',
      marker('figure', { index: 6, format: 'gif' }, tinyPng),
      6,
      /unknown format "gif"/,
    ],
    ['JPEG bytes declared as PNG', figure(7, jpegBytes), 7, /not a PNG image/],
    [
      'PNG bytes declared as JPEG',
      marker('figure', { index: 7, format: 'jpeg' }, tinyPng),
      7,
      /not a JPEG image/,
    ],
    [
      'HTML declared as SVG',
      marker('figure', { index: 8, format: 'svg' }, base64('<html><svg></svg></html>')),
      8,
      /not a SVG image/,
    ],
    [
      'an SVG whose root is not svg',
      marker('figure', { index: 8, format: 'svg' }, base64('<?xml version="1.0"?><svgx/>')),
      8,
      /not a SVG image/,
    ],
    ['an empty PNG', figure(9, new Uint8Array()), 9, /not a PNG image/],
    [
      'an error without a traceback',
      marker('error', { name: 'E', value: 'v' }),
      undefined,
      /malformed error marker/,
    ],
    ['a problem without a reason', marker('problem', { index: 1 }), 1, /"reason" must be a string/],
    [
      'a problem with a bad index',
      marker('problem', { index: 'x', reason: 'r' }),
      undefined,
      /"index" must be/,
    ],
  ];

  it.each(malformed)(
    'turns a marker with %s into a parse problem and removes it',
    (_, bad, index, reason) => {
      const result = parseFigureMarkers(`before ${bad}after\n${figure(10)}`, { nonce });
      expect(result.stdout).toBe('before after\n');
      expect(result.figures.map((captured) => captured.index)).toEqual([10]);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ stage: 'parse' });
      expect(result.problems[0]?.index).toBe(index);
      expect(result.problems[0]?.reason).toMatch(reason);
    },
  );

  it('reports a marker the output ended inside of as truncated', () => {
    const complete = figure(3);
    const result = parseFigureMarkers(`text ${complete.slice(0, -20)}`, { nonce });
    expect(result).toEqual({
      stdout: 'text ',
      figures: [],
      fileFigures: [],
      displays: [],
      freshInterpreter: false,
      problems: [
        {
          stage: 'parse',
          index: 3,
          reason: 'marker truncated: the output ended before the end of its line',
        },
      ],
    });
    const noHeader = parseFigureMarkers(`${prefix}fig`, { nonce });
    expect(noHeader.problems).toEqual([
      { stage: 'parse', reason: 'marker truncated: the output ended before the end of its line' },
    ]);
  });

  it('refuses figures over maxFigureBytes without keeping them', () => {
    const result = parseFigureMarkers(figure(0) + figure(1, new Uint8Array(2000).fill(7)), {
      nonce,
      maxFigureBytes: 1000,
    });
    expect(result.figures.map((captured) => captured.index)).toEqual([0]);
    expect(result.problems).toEqual([
      { stage: 'parse', index: 1, reason: 'figure 2: 2 KB is over maxFigureBytes (1000 bytes)' },
    ]);
  });

  it('refuses figures over the default maxFigureBytes of 10 MiB', () => {
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(tinyPng);
    const result = parseFigureMarkers(figure(0, big), { nonce });
    expect(result.figures).toEqual([]);
    expect(result.problems[0]?.reason).toMatch(/over maxFigureBytes \(10 MB\)/);
    const fits = parseFigureMarkers(figure(0, big.subarray(0, 10 * 1024 * 1024)), { nonce });
    expect(fits.figures).toHaveLength(1);
  });

  it('keeps the first error and reports a second one', () => {
    const result = parseFigureMarkers(
      marker('error', { name: 'A', value: '1', traceback: 't' }) +
        marker('error', { name: 'B', value: '2', traceback: 't' }),
      { nonce },
    );
    expect(result.error?.name).toBe('A');
    expect(result.problems).toEqual([
      { stage: 'parse', reason: expect.stringMatching(/second error marker \(B: 2\)/) },
    ]);
  });

  it('refuses a nonce that is not 32 lowercase hex characters', () => {
    expect(() => parseFigureMarkers('', { nonce: 'ABC' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

describe('createFigureMarkerParser', () => {
  // Every kind of content, including near-misses of the prefix, for the split tests.
  const mixed = [
    'plain text\n',
    figure(0, tinyPng, { title: 'a:b' }),
    '@@sand',
    '@@sandplot:',
    `@@sandplot:${nonce.slice(0, 20)}`,
    figure(1).replace(nonce, otherNonce),
    'x@',
    marker('figure', { index: 2, format: 'svg', width: 5, height: 6 }, svgBytes),
    'mid-line',
    marker('problem', { index: 9, reason: 'savefig failed: boom' }),
    `${prefix}figure:${base64('{"index":4}')}:bad*\n`,
    figure(5, jpegBytes),
    `${prefix}\n`,
    '\n\n@@',
    marker('figure', { index: 6, format: 'jpeg' }, jpegBytes),
    marker('figure-file', { index: 7, format: 'png', width: 10, height: 20, title: 'a:b' }),
    marker('figure-file', { index: 8, format: 'svg' }, '', otherNonce),
    `${prefix}figure-file:${base64('{"index":9,"format":"bmp"}')}:\n`,
    marker('error', {
      name: 'ValueError',
      value: 'ünïcode',
      traceback: 'Traceback:\n  File "<cell-1>"\n',
    }),
    'tail text ✓ @@sandplot:',
    nonce.slice(0, 10),
  ].join('');

  it('gives the same result for any chunk split as for one-shot parsing', () => {
    const expected = parseFigureMarkers(mixed, { nonce });
    expect(expected.figures.map((captured) => captured.index)).toEqual([0, 2, 6]);
    expect(expected.fileFigures).toEqual([
      { index: 7, mediaType: 'image/png', width: 10, height: 20, title: 'a:b' },
    ]);
    expect(expected.problems).toHaveLength(5);
    expect(expected.error?.value).toBe('ünïcode');
    for (let seed = 1; seed <= 500; seed++) {
      const next = random(seed);
      const largest = 1 + Math.floor(next() * (seed % 3 === 0 ? 4 : 200));
      const result = parseInChunks(mixed, () => 1 + Math.floor(next() * largest));
      expect(result, `seed ${seed}`).toEqual(expected);
    }
  });

  it('gives the same result one character at a time', () => {
    expect(parseInChunks(mixed, () => 1)).toEqual(parseFigureMarkers(mixed, { nonce }));
  });

  it('releases text at once, holding back only what could still become a marker', () => {
    const parser = createFigureMarkerParser({ nonce });
    expect(parser.push('hello ')).toBe('hello ');
    expect(parser.push('world @@sand')).toBe('world ');
    expect(parser.push('box')).toBe('@@sandbox');
    expect(parser.push(`x ${prefix.slice(0, 30)}`)).toBe('x ');
    expect(parser.push(prefix.slice(30))).toBe('');
    expect(parser.push(figure(0).slice(prefix.length, prefix.length + 30))).toBe('');
    expect(parser.figures).toEqual([]);
    expect(parser.push(`${figure(0).slice(prefix.length + 30)}next`)).toBe('next');
    expect(parser.figures).toHaveLength(1);
    expect(parser.push('@')).toBe('');
    expect(parser.end()).toBe('@');
    expect(() => parser.push('more')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('drops a marker longer than any allowed figure without keeping it in memory, then goes on', () => {
    const parser = createFigureMarkerParser({ nonce, maxFigureBytes: 100 });
    let stdout = parser.push(`start ${prefix}figure:${base64('{"index":0,"format":"png"}')}:`);
    for (let chunk = 0; chunk < 1000; chunk++) stdout += parser.push('A'.repeat(8192));
    stdout += parser.push(`AAAA\nend ${figure(1)}`);
    stdout += parser.end();
    expect(stdout).toBe('start end ');
    expect(parser.figures.map((captured) => captured.index)).toEqual([1]);
    expect(parser.problems).toEqual([
      { stage: 'parse', index: 0, reason: 'figure 1: 5.9 MB is over maxFigureBytes (100 bytes)' },
    ]);
  });

  it('stays linear on output full of partial prefixes', () => {
    const nearMisses =
      `@@sandplot:${nonce.slice(0, 31)}x`.repeat(50_000) + '@@sandplot:'.repeat(50_000);
    const started = performance.now();
    const oneShot = parseFigureMarkers(nearMisses, { nonce });
    const sizes = random(7);
    const chunked = parseInChunks(nearMisses, () => 1 + Math.floor(sizes() * 60));
    const elapsed = performance.now() - started;
    expect(oneShot.stdout).toBe(nearMisses);
    expect(chunked.stdout).toBe(nearMisses);
    expect(elapsed).toBeLessThan(2000);
  });

  it('stays linear on one large figure arriving in small chunks', () => {
    const data = new Uint8Array(3 * 1024 * 1024);
    data.set(tinyPng);
    const input = figure(0, data);
    const started = performance.now();
    const result = parseInChunks(input, () => 4096);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(Buffer.from(result.figures[0]?.data ?? []).equals(data)).toBe(true);
  });
});

describe('createFigureMarkerParser with maxFigures', () => {
  it('keeps the first figure of each index, at most maxFigures, across figure and figure-file markers', () => {
    const result = parseFigureMarkers(
      figure(0) +
        figure(0, tinyPng, { title: 'second' }) +
        marker('figure-file', { index: 1, format: 'png' }) +
        marker('figure-file', { index: 0, format: 'png' }) +
        figure(7),
      { nonce, maxFigures: 2 },
    );
    expect(result.figures.map((captured) => captured.index)).toEqual([0]);
    expect(result.fileFigures.map((announced) => announced.index)).toEqual([1]);
    expect(result.problems).toEqual([
      {
        stage: 'parse',
        index: 0,
        reason: 'figure 1: a second figure with the same index was refused',
      },
      {
        stage: 'parse',
        index: 0,
        reason: 'figure 1: a second figure with the same index was refused',
      },
      {
        stage: 'parse',
        index: 7,
        reason: 'figure 8: over the limit of figures per call (maxFigures: 2), refused',
      },
    ]);
  });

  it('refuses a figure over the limits as soon as its header arrives, before its data', () => {
    const parser = createFigureMarkerParser({ nonce, maxFigures: 1 });
    parser.push(figure(0));
    const header = figure(1).slice(0, figure(1).lastIndexOf(':') + 1);
    expect(parser.push(header)).toBe('');
    expect(parser.problems).toEqual([
      {
        stage: 'parse',
        index: 1,
        reason: 'figure 2: over the limit of figures per call (maxFigures: 1), refused',
      },
    ]);
    // Its data streams through without being read or held: no second problem, output exact.
    for (let chunk = 0; chunk < 100; chunk++) parser.push('A'.repeat(64 * 1024));
    expect(parser.push('AAAA\nafter')).toBe('after');
    expect(parser.end()).toBe('');
    expect(parser.figures.map((captured) => captured.index)).toEqual([0]);
    expect(parser.problems).toHaveLength(1);
  });

  it('counts only figures that were read: a refused figure leaves its index and its place free', () => {
    const result = parseFigureMarkers(
      figure(0, Uint8Array.from([1, 2, 3])) + figure(0) + figure(1),
      { nonce, maxFigures: 2 },
    );
    expect(result.figures.map((captured) => captured.index)).toEqual([0, 1]);
    expect(result.problems).toEqual([
      { stage: 'parse', index: 0, reason: 'figure 1: the image data is not a PNG image' },
    ]);
  });

  it('refuses a maxFigures that is not a whole number >= 0', () => {
    expect(() => createFigureMarkerParser({ nonce, maxFigures: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
