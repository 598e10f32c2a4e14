import { InvalidInputError } from '../errors/index.js';
import type {
  CapturedFigure,
  FigureMediaType,
  FigureProblem,
  FileFigure,
  PythonError,
} from '../types/index.js';
import { DEFAULT_CAPTURE } from './capture-options.js';
import { imagePixelSize } from './image-size.js';
import { readChart } from './read-chart.js';
import { svgActiveContent } from './svg-safety.js';

export interface FigureMarkerOptions {
  /** The nonce the code was wrapped with: only markers carrying it are read. */
  nonce: string;
  /** Largest decoded figure accepted; larger ones are listed in `problems`. @default 10485760 (10 MiB) */
  maxFigureBytes?: number;
  /**
   * Largest width or height accepted, in pixels, checked in the PNG or JPEG data itself; larger
   * figures are listed in `problems`. @default 8000
   */
  maxFigureSidePixels?: number;
}

/** The limits `checkFigureData` holds figure bytes to. */
export interface FigureDataLimits {
  maxFigureBytes: number;
  /** @default 8000 */
  maxFigureSidePixels?: number;
}

export interface ParsedFigureMarkers {
  /** The user's output with every marker removed. */
  stdout: string;
  figures: CapturedFigure[];
  /** Figures announced by `figure-file` markers, in the order they arrived. */
  fileFigures: FileFigure[];
  problems: FigureProblem[];
  /** The exception the user's code raised, when it raised one. */
  error?: PythonError;
}

/** Reads markers out of stdout as it arrives, in chunks split anywhere. */
export interface FigureMarkerParser {
  /** Takes the next chunk; returns the user output that is final so far. */
  push(chunk: string): string;
  /** Ends the stream; returns the rest of the user output. A marker left open is a problem. */
  end(): string;
  readonly figures: CapturedFigure[];
  /** Figures announced by `figure-file` markers, in the order they arrived. */
  readonly fileFigures: FileFigure[];
  readonly problems: FigureProblem[];
  readonly error: PythonError | undefined;
}

const DEFAULT_MAX_FIGURE_BYTES = DEFAULT_CAPTURE.maxFigureBytes;
const DEFAULT_MAX_FIGURE_SIDE_PIXELS = DEFAULT_CAPTURE.maxFigureSidePixels;
// Room for a marker's kind and JSON header (an error's traceback can be long).
const MAX_HEADER_CHARS = 4 * 1024 * 1024;
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
// A chart problem is a short reason; the sandbox's exception text could be anything.
const MAX_CHART_PROBLEM_CHARS = 300;
const NEWLINE = '\n';

const MEDIA_TYPES: Readonly<Record<string, FigureMediaType>> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  jpeg: 'image/jpeg',
};
const FORMAT_NAMES: Readonly<Record<FigureMediaType, string>> = {
  'image/png': 'PNG',
  'image/svg+xml': 'SVG',
  'image/jpeg': 'JPEG',
};
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
// How far into an SVG file its root element may start (after a declaration, doctype, comments).
const SVG_ROOT_SEARCH_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Splits wrapped code's stdout into the user's output, figures, capture problems and the error. */
export function parseFigureMarkers(
  stdout: string,
  options: FigureMarkerOptions,
): ParsedFigureMarkers {
  const parser = createFigureMarkerParser(options);
  const text = parser.push(stdout) + parser.end();
  const result: ParsedFigureMarkers = {
    stdout: text,
    figures: parser.figures,
    fileFigures: parser.fileFigures,
    problems: parser.problems,
  };
  if (parser.error !== undefined) result.error = parser.error;
  return result;
}

/** A parser for stdout that arrives in chunks; `parseFigureMarkers` is `push(all)` + `end()`. */
export function createFigureMarkerParser(options: FigureMarkerOptions): FigureMarkerParser {
  return new MarkerParser(options);
}

/**
 * Checks figure bytes against what their marker announced (the image format) and the limits
 * (`maxFigureBytes`, `maxFigureSidePixels`). A PNG's or JPEG's width and height are taken from
 * its data, not from the marker. Returns the figure owning its memory, or why it was refused.
 */
export function checkFigureData(
  figure: FileFigure,
  data: Uint8Array,
  limits: FigureDataLimits,
): CapturedFigure | string {
  const { maxFigureBytes, maxFigureSidePixels = DEFAULT_MAX_FIGURE_SIDE_PIXELS } = limits;
  if (data.byteLength > maxFigureBytes) {
    return `${formatBytes(data.byteLength)} is over maxFigureBytes (${formatBytes(maxFigureBytes)})`;
  }
  if (!hasFormat(data, figure.mediaType)) {
    return `the image data is not a ${FORMAT_NAMES[figure.mediaType]} image`;
  }
  const active = figure.mediaType === 'image/svg+xml' ? svgActiveContent(data) : undefined;
  if (active !== undefined) return active;
  // Undefined for SVG and for data too short to say; then the marker's size is what there is.
  const size = imagePixelSize(data, figure.mediaType);
  const width = size?.width ?? figure.width ?? 0;
  const height = size?.height ?? figure.height ?? 0;
  if (Math.max(width, height) > maxFigureSidePixels) {
    return `${width}×${height} px is over maxFigureSidePixels (${maxFigureSidePixels})`;
  }
  const checked: CapturedFigure = { ...figure, data: ownBytes(data) };
  if (size !== undefined) {
    checked.width = size.width;
    checked.height = size.height;
  }
  return checked;
}

class MarkerParser implements FigureMarkerParser {
  readonly figures: CapturedFigure[] = [];
  readonly fileFigures: FileFigure[] = [];
  readonly problems: FigureProblem[] = [];
  error: PythonError | undefined;

  readonly #prefix: string;
  readonly #maxFigureBytes: number;
  readonly #maxFigureSidePixels: number;
  readonly #maxMarkerChars: number;
  // Outside a marker: the end of the output that may be the start of the prefix.
  #held = '';
  // Inside a marker (after its prefix): the parts of its line seen so far; undefined outside.
  #marker: string[] | undefined;
  #markerChars = 0;
  #markerTooLong = false;
  #ended = false;

  constructor(options: FigureMarkerOptions) {
    if (typeof options?.nonce !== 'string' || !NONCE_PATTERN.test(options.nonce)) {
      throw new InvalidInputError(
        'nonce must be the 32 lowercase hex characters the code was wrapped with',
      );
    }
    const maxFigureBytes = options.maxFigureBytes ?? DEFAULT_MAX_FIGURE_BYTES;
    if (!Number.isSafeInteger(maxFigureBytes) || maxFigureBytes < 1) {
      throw new InvalidInputError(
        `maxFigureBytes must be a whole number >= 1, got ${maxFigureBytes}`,
      );
    }
    const maxFigureSidePixels = options.maxFigureSidePixels ?? DEFAULT_MAX_FIGURE_SIDE_PIXELS;
    if (!Number.isSafeInteger(maxFigureSidePixels) || maxFigureSidePixels < 1) {
      throw new InvalidInputError(
        `maxFigureSidePixels must be a whole number >= 1, got ${maxFigureSidePixels}`,
      );
    }
    this.#prefix = `@@sandplot:${options.nonce}:`;
    this.#maxFigureBytes = maxFigureBytes;
    this.#maxFigureSidePixels = maxFigureSidePixels;
    this.#maxMarkerChars = Math.ceil(maxFigureBytes / 3) * 4 + MAX_HEADER_CHARS;
  }

  push(chunk: string): string {
    if (this.#ended) throw new InvalidInputError('push() was called after end()');
    if (typeof chunk !== 'string') {
      throw new InvalidInputError(`push() takes a string, got ${typeof chunk}`);
    }
    let input = chunk;
    if (this.#held !== '') {
      input = this.#held + chunk;
      this.#held = '';
    }
    let output = '';
    let position = 0;
    while (position < input.length) {
      if (this.#marker === undefined) {
        const start = input.indexOf(this.#prefix, position);
        if (start === -1) {
          const keep = this.#possiblePrefixStart(input, position);
          output += input.slice(position, keep);
          this.#held = input.slice(keep);
          return output;
        }
        output += input.slice(position, start);
        position = start + this.#prefix.length;
        this.#marker = [];
        this.#markerChars = 0;
        this.#markerTooLong = false;
        continue;
      }
      const newline = input.indexOf(NEWLINE, position);
      if (newline === -1) {
        this.#collect(input, position, input.length);
        return output;
      }
      if (this.#marker.length === 0 && !this.#markerTooLong) {
        this.#read(input.slice(position, newline));
      } else {
        this.#collect(input, position, newline);
        this.#finishCollected();
      }
      this.#marker = undefined;
      position = newline + 1;
    }
    return output;
  }

  end(): string {
    if (this.#ended) return '';
    this.#ended = true;
    const rest = this.#held;
    this.#held = '';
    if (this.#marker !== undefined) {
      const line = this.#markerTooLong ? '' : this.#marker.join('');
      const index = this.#markerTooLong ? undefined : headerIndex(line);
      this.#problem(index, 'marker truncated: the output ended before the end of its line');
      this.#marker = undefined;
    }
    return rest;
  }

  // Smallest position from which the end of `input` could still grow into the prefix.
  #possiblePrefixStart(input: string, from: number): number {
    let candidate = input.indexOf('@', Math.max(from, input.length - this.#prefix.length + 1));
    while (candidate !== -1) {
      if (this.#prefix.startsWith(input.slice(candidate))) return candidate;
      candidate = input.indexOf('@', candidate + 1);
    }
    return input.length;
  }

  #collect(input: string, from: number, to: number): void {
    if (this.#markerTooLong || to === from) return;
    this.#markerChars += to - from;
    if (this.#markerChars > this.#maxMarkerChars) {
      // Dropping the parts keeps memory bounded; the marker becomes a problem at its newline.
      this.#markerTooLong = true;
      this.#marker = [];
      return;
    }
    this.#marker?.push(input.slice(from, to));
  }

  #finishCollected(): void {
    if (this.#markerTooLong) {
      this.#problem(
        undefined,
        `marker is longer than a figure of maxFigureBytes (${formatBytes(this.#maxFigureBytes)}) can be`,
      );
      return;
    }
    this.#read((this.#marker ?? []).join(''));
  }

  // `line` is one marker without its prefix and newline: `{kind}:{header}:{data}`.
  #read(line: string): void {
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    const kindEnd = body.slice(0, 16).indexOf(':');
    const headerEnd = kindEnd === -1 ? -1 : body.indexOf(':', kindEnd + 1);
    if (headerEnd === -1) {
      this.#problem(undefined, 'malformed marker: expected {kind}:{header}:{data}');
      return;
    }
    const kind = body.slice(0, kindEnd);
    const header = decodeHeader(body.slice(kindEnd + 1, headerEnd));
    const data = body.slice(headerEnd + 1);
    if (typeof header === 'string') {
      this.#problem(undefined, `malformed ${describeKind(kind)} marker: ${header}`);
      return;
    }
    switch (kind) {
      case 'figure':
        this.#readFigure(header, data);
        return;
      case 'figure-file':
        this.#readFigureFile(header, data);
        return;
      case 'error':
        this.#readError(header);
        return;
      case 'problem':
        this.#readProblem(header);
        return;
      default:
        this.#problem(indexOf(header), `unknown marker kind ${describeKind(kind)}`);
    }
  }

  #readFigure(header: Record<string, unknown>, data: string): void {
    const figure = this.#readFigureHeader('figure', header);
    if (figure === undefined) return;
    const fail = (reason: string): void =>
      this.#problem(figure.index, `figure ${figure.index}: ${reason}`);
    // Checked before decoding, so an oversized figure never gets allocated.
    const byteLength = decodedLength(data);
    if (byteLength > this.#maxFigureBytes) {
      fail(
        `${formatBytes(byteLength)} is over maxFigureBytes (${formatBytes(this.#maxFigureBytes)})`,
      );
      return;
    }
    const bytes = decodeBase64(data);
    if (bytes === undefined) {
      fail('the image data is not valid base64');
      return;
    }
    const checked = checkFigureData(figure, bytes, {
      maxFigureBytes: this.#maxFigureBytes,
      maxFigureSidePixels: this.#maxFigureSidePixels,
    });
    if (typeof checked === 'string') fail(checked);
    else this.figures.push(checked);
  }

  #readFigureFile(header: Record<string, unknown>, data: string): void {
    const figure = this.#readFigureHeader('figure-file', header);
    if (figure === undefined) return;
    if (data !== '') {
      this.#problem(figure.index, `figure ${figure.index}: a figure-file marker carries no data`);
      return;
    }
    this.fileFigures.push(figure);
  }

  // The header shared by `figure` and `figure-file` markers; a problem when it is malformed.
  #readFigureHeader(kind: string, header: Record<string, unknown>): FileFigure | undefined {
    const index = indexOf(header);
    if (index === undefined) {
      this.#problem(undefined, `malformed ${kind} marker: "index" must be a whole number >= 0`);
      return undefined;
    }
    const fail = (reason: string): undefined => {
      this.#problem(index, `figure ${index}: ${reason}`);
      return undefined;
    };
    const { format, width, height, title } = header;
    // Own keys only: "toString" or "__proto__" would find Object.prototype's members.
    const mediaType =
      typeof format === 'string' && Object.hasOwn(MEDIA_TYPES, format)
        ? MEDIA_TYPES[format]
        : undefined;
    if (mediaType === undefined) return fail(`unknown format ${JSON.stringify(format)}`);
    if (width !== undefined && !isPixelCount(width)) {
      return fail('"width" must be a whole number >= 0');
    }
    if (height !== undefined && !isPixelCount(height)) {
      return fail('"height" must be a whole number >= 0');
    }
    if (title !== undefined && typeof title !== 'string') return fail('"title" must be a string');
    const figure: FileFigure = { index, mediaType };
    if (width !== undefined) figure.width = width;
    if (height !== undefined) figure.height = height;
    if (title !== undefined && title !== '') figure.title = title;
    addChart(figure, header);
    return figure;
  }

  #readError(header: Record<string, unknown>): void {
    const { name, value, traceback } = header;
    if (typeof name !== 'string' || typeof value !== 'string' || typeof traceback !== 'string') {
      this.#problem(
        undefined,
        'malformed error marker: "name", "value" and "traceback" must be strings',
      );
      return;
    }
    if (this.error !== undefined) {
      this.#problem(
        undefined,
        `a second error marker (${name}: ${value}) was ignored; the first is kept`,
      );
      return;
    }
    this.error = { name, value, traceback };
  }

  #readProblem(header: Record<string, unknown>): void {
    const index = indexOf(header);
    if (header.index !== undefined && index === undefined) {
      this.#problem(undefined, 'malformed problem marker: "index" must be a whole number >= 0');
      return;
    }
    if (typeof header.reason !== 'string') {
      this.#problem(index, 'malformed problem marker: "reason" must be a string');
      return;
    }
    const problem: FigureProblem = { stage: 'capture', reason: header.reason };
    if (index !== undefined) problem.index = index;
    this.problems.push(problem);
  }

  #problem(index: number | undefined, reason: string): void {
    const problem: FigureProblem = { stage: 'parse', reason };
    if (index !== undefined) problem.index = index;
    this.problems.push(problem);
  }
}

// An invalid chart never costs the figure: it is dropped and the figure says why.
function addChart(figure: FileFigure, header: Record<string, unknown>): void {
  const { chart, chartProblem } = header;
  if (chart !== undefined) {
    const read = readChart(chart);
    if (typeof read === 'string') figure.chartProblem = `chart data refused: ${read}`;
    else figure.chart = read;
  } else if (typeof chartProblem === 'string' && chartProblem !== '') {
    figure.chartProblem = chartProblem.slice(0, MAX_CHART_PROBLEM_CHARS);
  }
}

// A header that decodes to a JSON object, or why it does not.
function decodeHeader(text: string): Record<string, unknown> | string {
  const bytes = decodeBase64(text);
  if (bytes === undefined) return 'the header is not valid base64';
  let json: string;
  try {
    json = utf8.decode(bytes);
  } catch {
    return 'the header is not UTF-8';
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'the header is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'the header is not a JSON object';
  }
  return value as Record<string, unknown>;
}

// For a truncated marker: its figure index, when the header arrived whole.
function headerIndex(line: string): number | undefined {
  const kindEnd = line.slice(0, 16).indexOf(':');
  const headerEnd = kindEnd === -1 ? -1 : line.indexOf(':', kindEnd + 1);
  if (headerEnd === -1) return undefined;
  const header = decodeHeader(line.slice(kindEnd + 1, headerEnd));
  return typeof header === 'string' ? undefined : indexOf(header);
}

function indexOf(header: Record<string, unknown>): number | undefined {
  const { index } = header;
  return typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 ? index : undefined;
}

function isPixelCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describeKind(kind: string): string {
  return JSON.stringify(kind.length > 16 ? `${kind.slice(0, 16)}...` : kind);
}

function paddingOf(text: string): number {
  if (!text.endsWith('=')) return 0;
  return text.endsWith('==') ? 2 : 1;
}

function decodedLength(text: string): number {
  return Math.floor(text.length / 4) * 3 - paddingOf(text);
}

// Node's decoder skips characters outside the alphabet and stops at inner padding, so a
// decoded length short of what the text's length promises means the text was not base64.
// It also reads the URL-safe alphabet, which encodes the same bytes.
function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === decodedLength(text) ? bytes : undefined;
}

// Small buffers share Node's pool; a figure must own its memory (sinks may hand on `.buffer`).
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

function hasFormat(bytes: Uint8Array, mediaType: FigureMediaType): boolean {
  switch (mediaType) {
    case 'image/png':
      return startsWith(bytes, PNG_MAGIC);
    case 'image/jpeg':
      return startsWith(bytes, JPEG_MAGIC);
    case 'image/svg+xml':
      return hasSvgRoot(bytes);
  }
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, offset) => bytes[offset] === byte);
}

// The root element is <svg>, after an optional BOM, XML declaration, doctype, comments and
// processing instructions.
function hasSvgRoot(bytes: Uint8Array): boolean {
  const text = Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    Math.min(bytes.length, SVG_ROOT_SEARCH_BYTES),
  ).toString('latin1');
  let position = text.startsWith('\xef\xbb\xbf') ? 3 : 0;
  for (;;) {
    while (position < text.length && /\s/.test(text.charAt(position))) position++;
    if (text.startsWith('<?', position)) {
      const close = text.indexOf('?>', position + 2);
      if (close === -1) return false;
      position = close + 2;
    } else if (text.startsWith('<!--', position)) {
      const close = text.indexOf('-->', position + 4);
      if (close === -1) return false;
      position = close + 3;
    } else if (text.slice(position, position + 9).toUpperCase() === '<!DOCTYPE') {
      const close = doctypeEnd(text, position + 9);
      if (close === -1) return false;
      position = close + 1;
    } else {
      return /^<svg[\s>/]/.test(text.slice(position, position + 5));
    }
  }
}

// Index of the `>` that closes a doctype, skipping an internal subset in brackets and quotes.
function doctypeEnd(text: string, from: number): number {
  let quote = '';
  let depth = 0;
  for (let position = from; position < text.length; position++) {
    const char = text.charAt(position);
    if (quote !== '') {
      if (char === quote) quote = '';
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[') {
      depth++;
    } else if (char === ']') {
      depth--;
    } else if (char === '>' && depth <= 0) {
      return position;
    }
  }
  return -1;
}

function formatBytes(byteCount: number): string {
  if (byteCount < 1024) return `${byteCount} bytes`;
  if (byteCount < 1024 * 1024) return `${oneDecimal(byteCount / 1024)} KB`;
  return `${oneDecimal(byteCount / (1024 * 1024))} MB`;
}

function oneDecimal(value: number): string {
  const text = value.toFixed(1);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}
