import { fileMediaType } from '../internal/file-media-type.js';
import type {
  CapturedFigure,
  CapturedFile,
  FigureMediaType,
  FigureProblem,
  FileFigure,
  PythonError,
} from '../types/index.js';
import { checkFigureData } from './check-figure-data.js';
import { formatBytes } from './format-bytes.js';
import { decodeBase64, decodedLength, decodeHeader, splitMarker } from './marker-encoding.js';
import { readChart } from './read-chart.js';
import { type DisplayRecord, readDisplay } from './read-display.js';
import { sandboxPathProblem } from './sandbox-path.js';

/** What one marker said; a `fault` is a marker that could not be read (a `parse` problem). */
export type MarkerRecord =
  | { kind: 'figure'; figure: CapturedFigure }
  | { kind: 'figure-file'; figure: FileFigure }
  | { kind: 'error'; error: PythonError }
  | { kind: 'problem'; problem: FigureProblem }
  | { kind: 'display'; display: DisplayRecord }
  | { kind: 'file'; file: CapturedFile }
  /** A file saved in the sandbox (transport 'files'), to be read from `path`. */
  | { kind: 'file-ref'; path: string }
  /** The prelude was installed by this run: the interpreter is new. */
  | { kind: 'fresh' }
  | { kind: 'fault'; index: number | undefined; reason: string };

/** The limits a `figure` marker's image is held to. */
export interface MarkerLimits {
  maxFigureBytes: number;
  maxFigureSidePixels: number;
  /**
   * For `file` markers: the largest file, and the parser's admission (count, total bytes, one
   * marker per path), asked before the data is decoded; it returns why a file is refused.
   * Without it, file markers are refused (the files were not asked for).
   */
  files?: {
    maxFileBytes: number;
    admit: (path: string, byteLength: number) => string | undefined;
  };
}

const MEDIA_TYPES: Readonly<Record<string, FigureMediaType>> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  jpeg: 'image/jpeg',
};
// A chart problem is a short reason; the sandbox's exception text could be anything.
const MAX_CHART_PROBLEM_CHARS = 300;

/** Reads one marker line, without its prefix and newline: `{kind}:{header}:{data}`. */
export function readMarker(line: string, limits: MarkerLimits): MarkerRecord {
  const parts = splitMarker(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (parts === undefined)
    return fault(undefined, 'malformed marker: expected {kind}:{header}:{data}');
  const { kind, data } = parts;
  const header = decodeHeader(parts.header);
  if (typeof header === 'string') {
    return fault(undefined, `malformed ${describeKind(kind)} marker: ${header}`);
  }
  switch (kind) {
    case 'figure':
      return readFigure(header, data, limits);
    case 'figure-file':
      return readFigureFile(header, data);
    case 'error':
      return readError(header);
    case 'problem':
      return readProblem(header);
    case 'display': {
      const display = readDisplay(header);
      return typeof display === 'string' ? fault(undefined, display) : { kind: 'display', display };
    }
    case 'fresh':
      return { kind: 'fresh' };
    case 'file':
    case 'file-ref':
      return readFileMarker(kind, header, data, limits);
    default:
      return fault(indexOf(header), `unknown marker kind ${describeKind(kind)}`);
  }
}

/** For a truncated marker: its figure index, when the header arrived whole. */
export function headerIndex(line: string): number | undefined {
  const parts = splitMarker(line);
  if (parts === undefined) return undefined;
  const header = decodeHeader(parts.header);
  return typeof header === 'string' ? undefined : indexOf(header);
}

function readFigure(
  header: Record<string, unknown>,
  data: string,
  limits: MarkerLimits,
): MarkerRecord {
  const figure = readFigureHeader('figure', header);
  if (!('mediaType' in figure)) return figure;
  const fail = (reason: string) => fault(figure.index, `figure ${figure.index}: ${reason}`);
  // Checked before decoding, so an oversized figure never gets allocated.
  const byteLength = decodedLength(data);
  if (byteLength > limits.maxFigureBytes) {
    return fail(
      `${formatBytes(byteLength)} is over maxFigureBytes (${formatBytes(limits.maxFigureBytes)})`,
    );
  }
  const bytes = decodeBase64(data);
  if (bytes === undefined) return fail('the image data is not valid base64');
  const checked = checkFigureData(figure, bytes, limits);
  if (typeof checked === 'string') return fail(checked);
  return { kind: 'figure', figure: checked };
}

function readFigureFile(header: Record<string, unknown>, data: string): MarkerRecord {
  const figure = readFigureHeader('figure-file', header);
  if (!('mediaType' in figure)) return figure;
  if (data !== '') {
    return fault(figure.index, `figure ${figure.index}: a figure-file marker carries no data`);
  }
  return { kind: 'figure-file', figure };
}

/** The header shared by `figure` and `figure-file` markers; a fault when it is malformed. */
function readFigureHeader(
  kind: string,
  header: Record<string, unknown>,
): FileFigure | Extract<MarkerRecord, { kind: 'fault' }> {
  const index = indexOf(header);
  if (index === undefined) {
    return fault(undefined, `malformed ${kind} marker: "index" must be a whole number >= 0`);
  }
  const fail = (reason: string) => fault(index, `figure ${index}: ${reason}`);
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

function readFileMarker(
  kind: 'file' | 'file-ref',
  header: Record<string, unknown>,
  data: string,
  limits: MarkerLimits,
): MarkerRecord {
  const { path } = header;
  const problem = sandboxPathProblem(path);
  if (problem !== undefined) return fault(undefined, `malformed ${kind} marker: ${problem}`);
  const filePath = path as string;
  const refuse = (reason: string): MarkerRecord => ({
    kind: 'problem',
    problem: { stage: 'parse', path: filePath, reason: `${JSON.stringify(filePath)}: ${reason}` },
  });
  if (limits.files === undefined) return refuse('files were not asked for; the marker was ignored');
  const byteLength = kind === 'file' ? decodedLength(data) : Number(header.size);
  if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
    return refuse('the marker has no valid "size"');
  }
  if (byteLength > limits.files.maxFileBytes) {
    return refuse(
      `${formatBytes(byteLength)}, over maxFileBytes (${formatBytes(limits.files.maxFileBytes)}): not collected`,
    );
  }
  const refused = limits.files.admit(filePath, byteLength);
  if (refused !== undefined) return refuse(refused);
  if (kind === 'file-ref') {
    return data === ''
      ? { kind: 'file-ref', path: filePath }
      : refuse('a file-ref marker carries no data');
  }
  const bytes = decodeBase64(data);
  if (bytes === undefined) return refuse('the file data is not valid base64');
  return {
    kind: 'file',
    file: { path: filePath, mediaType: fileMediaType(filePath), data: new Uint8Array(bytes) },
  };
}

function readError(header: Record<string, unknown>): MarkerRecord {
  const { name, value, traceback } = header;
  if (typeof name !== 'string' || typeof value !== 'string' || typeof traceback !== 'string') {
    return fault(
      undefined,
      'malformed error marker: "name", "value" and "traceback" must be strings',
    );
  }
  return { kind: 'error', error: { name, value, traceback } };
}

function readProblem(header: Record<string, unknown>): MarkerRecord {
  const index = indexOf(header);
  if (header.index !== undefined && index === undefined) {
    return fault(undefined, 'malformed problem marker: "index" must be a whole number >= 0');
  }
  if (typeof header.reason !== 'string') {
    return fault(index, 'malformed problem marker: "reason" must be a string');
  }
  const problem: FigureProblem = { stage: 'capture', reason: header.reason };
  if (index !== undefined) problem.index = index;
  if (header.path !== undefined && sandboxPathProblem(header.path) === undefined) {
    problem.path = header.path as string;
  }
  return { kind: 'problem', problem };
}

function fault(
  index: number | undefined,
  reason: string,
): Extract<MarkerRecord, { kind: 'fault' }> {
  return { kind: 'fault', index, reason };
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
