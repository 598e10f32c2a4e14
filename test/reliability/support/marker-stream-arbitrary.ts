import fc from 'fast-check';
import type { CapturedFigure, FigureProblem, PythonError } from '../../../src/types/index.js';
import { jpegFrame as frameSegment, jpegSegment, pngChunk } from '../../support/image-bytes.js';
import type { CorpusMarker } from './prelude-marker-corpus.js';

/** A piece of a generated stdout stream, with what the parser must make of it. */
export type StreamSegment =
  | { kind: 'text'; text: string }
  | { kind: 'figure'; line: string; figure: CapturedFigure }
  | { kind: 'figure-file'; line: string; figure: Omit<CapturedFigure, 'data'> }
  | { kind: 'error'; line: string; error: PythonError }
  | { kind: 'problem'; line: string; problem: FigureProblem }
  /** A marker with the right nonce that must become exactly one parse problem. */
  | { kind: 'invalid'; line: string; flaw: string };

/** A whole stream: segments, then maybe a marker the output ended inside of. */
export interface MarkerStream {
  segments: StreamSegment[];
  /** A marker's beginning (prefix included) with no newline: the stream ends in it. */
  truncated?: string;
}

export interface StreamSettings {
  nonce: string;
  /** The parser's maxFigureBytes: figures above it are generated as invalid. */
  maxFigureBytes: number;
  corpus: CorpusMarker[];
  /** Text may hold lone UTF-16 surrogates (not when it is encoded to UTF-8 first). */
  loneSurrogates: boolean;
}

export const OTHER_NONCES = [
  'fedcba9876543210fedcba9876543210',
  '00000000000000000000000000000000',
] as const;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8];
const MEDIA_TYPES = { png: 'image/png', svg: 'image/svg+xml', jpeg: 'image/jpeg' } as const;
type Format = keyof typeof MEDIA_TYPES;

export function base64(value: string | Uint8Array): string {
  return Buffer.from(value as Uint8Array).toString('base64');
}

/** A marker line exactly as prelude.py's `_Execution.emit` writes it. */
export function markerLine(
  nonce: string,
  kind: string,
  header: unknown,
  data: Uint8Array = new Uint8Array(),
): string {
  // json.dumps(separators=(',', ':'), ensure_ascii=False) writes what JSON.stringify writes.
  const text = JSON.stringify(header);
  return `@@sandplot:${nonce}:${kind}:${base64(Buffer.from(text, 'utf8'))}:${base64(data)}\n`;
}

function withCrlf(line: string): string {
  return `${line.slice(0, -1)}\r\n`;
}

const title = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', 'Ünïcödé 📈', 'a:b:c', '@@sandplot:', 'line\nbreak', '\\"\''),
);

/** A PNG IHDR chunk (with its CRC: the host checks it) for `width` × `height`. */
function pngHeader(width: number, height: number): number[] {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([8, 6, 0, 0, 0], 8);
  return [...pngChunk('IHDR', data)];
}

/**
 * A JPEG frame header (SOF0) for `width` × `height` and a start of scan: the bytes after the
 * FF D8 of JPEG_MAGIC. The host reads the size as decoders do, up to the scan.
 */
function jpegFrame(width: number, height: number): number[] {
  return [...frameSegment(width, height), ...jpegSegment(0xda, [1, 1, 0, 0, 0x3f, 0])];
}

// Characters XML does not allow in a document.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const NOT_XML_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

// Text as XML character data: escaped, and without the characters XML does not allow.
function xmlText(text: string): string {
  return text
    .replace(NOT_XML_CHARACTERS, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

// PNG and JPEG data carry their pixel size, which the host reads (and trusts over the header).
const imageBytes = (format: Format, width: number, height: number): fc.Arbitrary<Uint8Array> => {
  const tail = fc.uint8Array({ maxLength: 300 });
  switch (format) {
    case 'png':
      return tail.map((rest) =>
        Uint8Array.from([...PNG_MAGIC, ...pngHeader(width, height), ...rest]),
      );
    case 'jpeg':
      return tail.map((rest) =>
        Uint8Array.from([...JPEG_MAGIC, ...jpegFrame(width, height), ...rest]),
      );
    case 'svg':
      return fc
        .tuple(
          fc.constantFrom(
            '',
            '<?xml version="1.0" encoding="utf-8"?>\n',
            '\ufeff<!-- a comment -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n',
          ),
          fc.string({ unit: 'grapheme', maxLength: 60 }),
        )
        .map(([preamble, body]) =>
          Uint8Array.from(
            Buffer.from(
              `${preamble}<svg xmlns="http://www.w3.org/2000/svg"><title>${xmlText(body)}</title></svg>`,
            ),
          ),
        );
  }
};

interface FigureParts {
  /** The size written in PNG and JPEG data. */
  pixels: { width: number; height: number };
  header: {
    index: number;
    format: Format;
    width: number | undefined;
    height: number | undefined;
    title: string | undefined;
    /** Any JSON: a chart the host refuses is dropped, never the figure. */
    chart: unknown;
  };
  data: Uint8Array;
}

const figureParts: fc.Arbitrary<FigureParts> = fc
  .record({
    index: fc.nat({ max: 40 }),
    format: fc.constantFrom<Format>('png', 'svg', 'jpeg'),
    width: fc.option(fc.nat({ max: 5000 }), { nil: undefined }),
    height: fc.option(fc.nat({ max: 5000 }), { nil: undefined }),
    title: fc.option(title, { nil: undefined }),
    chart: fc.option(fc.jsonValue({ maxDepth: 4 }), { nil: undefined, freq: 3 }),
  })
  .chain((header) =>
    fc
      .record({
        width: fc.integer({ min: 1, max: 5000 }),
        height: fc.integer({ min: 1, max: 5000 }),
      })
      .chain((pixels) =>
        imageBytes(header.format, pixels.width, pixels.height).map((data) => ({
          pixels,
          header,
          data,
        })),
      ),
  );

/**
 * The figure the parser must give back. A figure-file marker carries no data, so its size is the
 * header's (the host checks the data once it has read the file).
 */
function expectedFigure(parts: FigureParts, sizeFrom: 'data' | 'header' = 'data'): CapturedFigure {
  const { index, format, width, height, title: text } = parts.header;
  const figure: CapturedFigure = { index, mediaType: MEDIA_TYPES[format], data: parts.data };
  if (format === 'svg' || sizeFrom === 'header') {
    if (width !== undefined) figure.width = width;
    if (height !== undefined) figure.height = height;
  } else {
    figure.width = parts.pixels.width;
    figure.height = parts.pixels.height;
  }
  if (text !== undefined && text !== '') figure.title = text;
  return figure;
}

function headerOf(parts: FigureParts): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(parts.header).filter(([, value]) => value !== undefined),
  );
}

/** Valid markers: the real prelude's lines, and lines built the way the prelude builds them. */
function validSegment(settings: StreamSettings): fc.Arbitrary<StreamSegment> {
  const { nonce, corpus } = settings;
  const fromCorpus = fc
    .constantFrom(...corpus)
    .map((marker): StreamSegment => ({ ...marker }) as StreamSegment);
  const synthetic = figureParts.map(
    (parts): StreamSegment => ({
      kind: 'figure',
      line: markerLine(nonce, 'figure', headerOf(parts), parts.data),
      figure: expectedFigure(parts),
    }),
  );
  const syntheticFile = figureParts.map((parts): StreamSegment => {
    const { data, ...figure } = expectedFigure(parts, 'header');
    return { kind: 'figure-file', line: markerLine(nonce, 'figure-file', headerOf(parts)), figure };
  });
  const problem = fc
    .record({ index: fc.option(fc.nat({ max: 40 }), { nil: undefined }), reason: title })
    .map((header): StreamSegment => {
      const expected: FigureProblem = { stage: 'capture', reason: header.reason };
      if (header.index !== undefined) expected.index = header.index;
      return { kind: 'problem', line: markerLine(nonce, 'problem', header), problem: expected };
    });
  const error = fc.record({ name: title, value: title, traceback: title }).map(
    (header): StreamSegment => ({
      kind: 'error',
      line: markerLine(nonce, 'error', header),
      error: header,
    }),
  );
  return fc
    .tuple(
      fc.oneof(
        { arbitrary: fromCorpus, weight: 4 },
        { arbitrary: synthetic, weight: 4 },
        { arbitrary: syntheticFile, weight: 1 },
        { arbitrary: problem, weight: 1 },
        { arbitrary: error, weight: 1 },
      ),
      fc.boolean(),
    )
    .map(([segment, crlf]) =>
      crlf && segment.kind !== 'text' ? { ...segment, line: withCrlf(segment.line) } : segment,
    );
}

// Characters Node's base64 decoder skips or stops at; '-' and '_' are not here (URL-safe base64
// decodes to the same bytes and is accepted).
const NOT_BASE64 = fc.constantFrom('!', '*', ' ', '\t', '\r', '@', '.', 'é', '📈', '=', '\0');

/** Base64 text broken so that no decoder may read it as the original bytes. */
function brokenBase64(text: string): fc.Arbitrary<string> {
  const inner = Math.max(0, text.length - 4);
  return fc.oneof(
    fc
      .tuple(fc.nat({ max: inner }), NOT_BASE64)
      .map(([at, char]) => text.slice(0, at) + char + text.slice(at + 1)),
    fc
      .tuple(fc.nat({ max: inner }), NOT_BASE64)
      .map(([at, char]) => text.slice(0, at) + char + text.slice(at)),
    fc
      .nat({ max: Math.max(0, text.length - 1) })
      .map((at) => text.slice(0, at) + text.slice(at + 1)),
  );
}

/** Markers with the right nonce and a flaw; each must become one parse problem and nothing else. */
function invalidSegment(settings: StreamSettings): fc.Arbitrary<StreamSegment> {
  const { nonce, maxFigureBytes } = settings;
  const prefix = `@@sandplot:${nonce}:`;
  const invalid = (line: string, flaw: string): StreamSegment => ({ kind: 'invalid', line, flaw });
  const png = figureParts.filter((parts) => parts.header.format === 'png');

  const badData = png.chain((parts) =>
    brokenBase64(base64(parts.data)).map((data) =>
      invalid(`${prefix}figure:${base64(JSON.stringify(headerOf(parts)))}:${data}\n`, 'bad data'),
    ),
  );
  const badHeaderBase64 = png.chain((parts) =>
    brokenBase64(base64(JSON.stringify(headerOf(parts)))).map((header) =>
      invalid(`${prefix}figure:${header}:${base64(parts.data)}\n`, 'bad header base64'),
    ),
  );
  const headerNotAnObject = fc
    .tuple(
      fc.oneof(
        fc.constantFrom('[]', '"figure"', '7', 'null', 'true', '{', '{"index":0,}', "{'index':0}"),
        fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => `{${text}`),
      ),
      fc.constantFrom('figure', 'figure-file', 'error', 'problem'),
    )
    .map(([json, kind]) => invalid(`${prefix}${kind}:${base64(json)}:\n`, 'header not an object'));
  const headerNotUtf8 = fc
    .constantFrom([0xff, 0xfe, 0x7b], [0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d], [0xed, 0xa0, 0x80])
    .map((bytes) => invalid(`${prefix}figure:${base64(Uint8Array.from(bytes))}:\n`, 'not UTF-8'));
  const badField = fc
    .tuple(
      png,
      fc.constantFrom<[string, unknown]>(
        ['index', undefined],
        ['index', -1],
        ['index', 1.5],
        ['index', '0'],
        ['index', 2 ** 53],
        ['format', undefined],
        ['format', 'gif'],
        ['format', 'PNG'],
        ['format', 'toString'],
        ['format', '__proto__'],
        ['format', 'constructor'],
        ['width', -1],
        ['width', 2.5],
        ['width', '48'],
        ['height', null],
        ['title', 5],
        ['title', null],
      ),
    )
    .chain(([parts, [field, value]]) =>
      fc.constantFrom('figure', 'figure-file').map((kind) => {
        const header: Record<string, unknown> = { ...headerOf(parts), [field]: value };
        if (value === undefined) delete header[field];
        const data = kind === 'figure' ? parts.data : undefined;
        return invalid(markerLine(nonce, kind, header, data), `${kind} with bad ${field}`);
      }),
    );
  const wrongKind = fc
    .tuple(
      figureParts,
      fc.constantFrom(
        'Figure',
        'figures',
        'image',
        '',
        'error',
        'problem',
        'figure-file',
        'a-kind-longer-than-sixteen',
        'figüre',
      ),
    )
    .map(([parts, kind]) =>
      invalid(markerLine(nonce, kind, headerOf(parts), parts.data), `kind ${kind}`),
    );
  const wrongFormat = fc
    .tuple(figureParts, fc.constantFrom<Format>('png', 'svg', 'jpeg'))
    .filter(([parts, format]) => parts.header.format !== format)
    .map(([parts, format]) =>
      invalid(
        markerLine(nonce, 'figure', { ...headerOf(parts), format }, parts.data),
        `${parts.header.format} bytes announced as ${format}`,
      ),
    );
  const activeSvg = fc
    .tuple(
      figureParts,
      fc.constantFrom(
        '<script>alert(1)</script>',
        '<rect onload="alert(1)"/>',
        '<a href="javascript:alert(1)"/>',
        '<foreignObject><div/></foreignObject>',
      ),
    )
    .map(([parts, active]) => {
      const data = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg">${active}</svg>`);
      return invalid(
        markerLine(nonce, 'figure', { ...headerOf(parts), format: 'svg' }, data),
        'SVG with active content',
      );
    });
  const noImage = fc
    .tuple(png, fc.uint8Array({ maxLength: 64 }))
    .map(([parts, noise]) =>
      invalid(markerLine(nonce, 'figure', headerOf(parts), noise), 'random bytes announced as png'),
    );
  const oversized = fc.tuple(png, fc.integer({ min: 1, max: 2000 })).map(([parts, extra]) => {
    const data = new Uint8Array(maxFigureBytes + extra);
    data.set(PNG_MAGIC);
    return invalid(markerLine(nonce, 'figure', headerOf(parts), data), 'over maxFigureBytes');
  });
  // The data says more than maxFigureSidePixels (8000), whatever the header claims.
  const tooManyPixels = fc
    .tuple(
      figureParts,
      fc.constantFrom<Format>('png', 'jpeg'),
      fc.integer({ min: 8001, max: 65_535 }),
      fc.boolean(),
    )
    .map(([parts, format, side, wide]) => {
      const [width, height] = wide ? [side, 10] : [10, side];
      const frame = format === 'png' ? pngHeader(width, height) : jpegFrame(width, height);
      const magic = format === 'png' ? PNG_MAGIC : JPEG_MAGIC;
      const data = Uint8Array.from([...magic, ...frame]);
      const header = { ...headerOf(parts), format, width: 10, height: 10 };
      return invalid(markerLine(nonce, 'figure', header, data), 'over maxFigureSidePixels');
    });
  const missingParts = fc
    .oneof(
      fc.constantFrom('', 'figure', 'figure:', 'no colon at all'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).filter((text) => !/:.*:/.test(text)),
    )
    .map((body) => invalid(`${prefix}${body.replaceAll('\n', ' ')}\n`, 'missing parts'));
  const garbage = fc
    .string({ unit: 'grapheme', maxLength: 80 })
    .map((body) => invalid(`${prefix}${body.replaceAll('\n', ' ')}\n`, 'garbage'));
  const fileWithData = png.map((parts) =>
    invalid(markerLine(nonce, 'figure-file', headerOf(parts), parts.data), 'figure-file with data'),
  );
  const badProblem = fc
    .constantFrom<unknown>({ index: -1, reason: 'x' }, { index: 0 }, { reason: 3 }, {})
    .map((header) => invalid(markerLine(nonce, 'problem', header), 'bad problem header'));
  const badError = fc
    .constantFrom<unknown>({ name: 'E', value: 'v' }, { name: 1, value: 'v', traceback: '' })
    .map((header) => invalid(markerLine(nonce, 'error', header), 'bad error header'));

  return fc
    .tuple(
      fc.oneof(
        badData,
        tooManyPixels,
        badHeaderBase64,
        headerNotAnObject,
        headerNotUtf8,
        badField,
        wrongKind,
        wrongFormat,
        activeSvg,
        noImage,
        { arbitrary: oversized, weight: 1 },
        missingParts,
        garbage,
        fileWithData,
        badProblem,
        badError,
      ),
      fc.boolean(),
    )
    .map(([segment, crlf]) =>
      crlf && segment.kind === 'invalid' ? { ...segment, line: withCrlf(segment.line) } : segment,
    );
}

/** Plain output: unicode, newlines of every kind, long lines and things that resemble markers. */
export function plainText(settings: StreamSettings): fc.Arbitrary<string> {
  const { nonce, corpus } = settings;
  const prefix = `@@sandplot:${nonce}:`;
  const unit = settings.loneSurrogates ? 'binary' : 'grapheme';
  const wrongNonce = fc
    .tuple(fc.constantFrom(...corpus), fc.constantFrom(...OTHER_NONCES, nonce.toUpperCase(), ''))
    .map(([marker, other]) => marker.line.replace(nonce, other));
  const piece = fc.oneof(
    { arbitrary: fc.string({ unit, maxLength: 30 }), weight: 6 },
    { arbitrary: fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\r\r\n'), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '@',
        '@@',
        '@@sandplot',
        '@@sandplot:',
        '@@sandplot::figure:',
        `@@sandplot:${nonce}`,
        `@@sandplot :${nonce}:`,
        `@ @sandplot:${nonce}:`,
        '@@SANDPLOT:',
      ),
      weight: 3,
    },
    {
      arbitrary: fc.nat({ max: prefix.length - 1 }).map((length) => prefix.slice(0, length)),
      weight: 2,
    },
    { arbitrary: wrongNonce, weight: 2 },
    {
      arbitrary: fc.constantFrom('é', '📈', '\u0000', '\ufeff', '\u2028', 'ü'.normalize('NFD')),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(fc.constantFrom('x', 'é', '📈', '@'), fc.integer({ min: 1000, max: 60_000 }))
        .map(([char, count]) => char.repeat(count)),
      weight: 1,
    },
  );
  return fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(''));
}

/** Streams of text, valid markers and invalid markers, in any order. */
export function markerStream(settings: StreamSettings): fc.Arbitrary<MarkerStream> {
  const prefix = `@@sandplot:${settings.nonce}:`;
  const segment = fc.oneof(
    {
      arbitrary: plainText(settings).map((text): StreamSegment => ({ kind: 'text', text })),
      weight: 4,
    },
    { arbitrary: validSegment(settings), weight: 3 },
    { arbitrary: invalidSegment(settings), weight: 2 },
  );
  const truncated = fc.option(
    fc
      .tuple(validSegment(settings), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([valid, share]) => {
        const line = valid.kind === 'text' ? '' : valid.line.replace(/\r?\n$/, '');
        const body = line.slice(prefix.length);
        return prefix + body.slice(0, Math.floor(body.length * share));
      }),
    { nil: undefined },
  );
  return fc
    .record({ segments: fc.array(segment, { maxLength: 14 }), truncated })
    .map(({ segments, truncated: tail }) =>
      tail === undefined ? { segments } : { segments, truncated: tail },
    );
}

/** The stream as one string. */
export function streamText(stream: MarkerStream): string {
  const parts = stream.segments.map((segment) =>
    segment.kind === 'text' ? segment.text : segment.line,
  );
  if (stream.truncated !== undefined) parts.push(stream.truncated);
  return parts.join('');
}

/** Split points for a string of `length`, in order: anywhere, also inside surrogate pairs. */
export function chunkSplits(): fc.Arbitrary<(length: number) => number[]> {
  return fc.oneof(
    fc
      .array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 })
      .map(
        (shares) => (length: number) =>
          [...new Set(shares.map((share) => Math.floor(share * length)))].sort((a, b) => a - b),
      ),
    fc.integer({ min: 1, max: 7 }).map((size) => (length: number) => {
      // Tiny chunks over a long input would only slow the run; the shape is the same.
      const step = length > 20_000 ? Math.ceil(length / 3000) : size;
      const points: number[] = [];
      for (let at = step; at < length; at += step) points.push(at);
      return points;
    }),
  );
}

/** `text` cut at `points` (sorted offsets). */
export function splitAt<T extends { slice(start: number, end?: number): T; length: number }>(
  text: T,
  points: number[],
): T[] {
  const chunks: T[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks;
}
