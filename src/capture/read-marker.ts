import { fileMediaType } from '../internal/file-media-type.js';
import type {
  CapturedFigure,
  CapturedFile,
  FigureMediaType,
  FigureProblem,
  FileFigure,
  PythonError,
} from '../types/index.js';
import { FigureDataStream } from './figure-data-stream.js';
import { formatBytes } from './format-bytes.js';
import { CHART_TOO_DEEP, decodeBase64, decodeHeader, MAX_HEADER_DEPTH } from './marker-encoding.js';
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
  /** The prelude was installed by this run: the interpreter is new. */
  | { kind: 'fresh' }
  | { kind: 'file'; file: CapturedFile }
  /** A file saved in the sandbox (transport 'files'), to be read from `path`. */
  | { kind: 'file-ref'; path: string }
  | { kind: 'fault'; index: number | undefined; reason: string };

/** The limits a `figure` marker's image is held to. */
export interface MarkerLimits {
  maxFigureBytes: number;
  maxFigureSidePixels: number;
  /**
   * For `file` markers: the largest file, and the parser's admission (count, total bytes, one
   * marker per path), asked when the header arrives, before any data is held; it returns why a
   * file is refused. Without it, file markers are refused (the files were not asked for).
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

/** A marker whose kind and header were read, waiting for its data (a `fault` when unreadable). */
export type MarkerHead =
  | { kind: 'figure'; figure: FileFigure; data: FigureDataStream }
  | { kind: 'figure-file'; figure: FileFigure }
  | { kind: 'error'; error: PythonError }
  | { kind: 'problem'; problem: FigureProblem }
  | { kind: 'display'; display: DisplayRecord }
  | { kind: 'fresh' }
  | { kind: 'file'; path: string; byteLength: number }
  | { kind: 'file-ref'; path: string };

type Fault = Extract<MarkerRecord, { kind: 'fault' }>;

/**
 * Reads a marker's kind and header, before its data arrives, so that a figure the limits refuse
 * is refused before its data is held. `admit` is asked about a figure's index (announced by a
 * `figure` or `figure-file` marker) before anything else of it is read; it returns why the
 * figure is refused, or undefined.
 */
export function readMarkerHead(
  kind: string,
  headerText: string,
  limits: MarkerLimits,
  admit: (index: number) => string | undefined,
): MarkerHead | Fault {
  const header = decodeHeader(headerText);
  if (typeof header === 'string') {
    return fault(undefined, `malformed ${describeKind(kind)} marker: ${header}`);
  }
  switch (kind) {
    case 'figure':
    case 'figure-file': {
      const index = indexOf(header);
      const refused = index === undefined ? undefined : admit(index);
      if (index !== undefined && refused !== undefined) {
        return fault(index, `figure ${index + 1}: ${refused}`);
      }
      const figure = readFigureHeader(kind, header);
      if (!('mediaType' in figure)) return figure;
      return kind === 'figure'
        ? { kind, figure, data: new FigureDataStream(figure, limits) }
        : { kind, figure };
    }
    case 'error':
      return readError(header);
    case 'problem':
      return readProblem(header);
    case 'display': {
      const display = readDisplay(header);
      return typeof display === 'string' ? fault(undefined, display) : { kind, display };
    }
    case 'fresh':
      return { kind };
    case 'file':
    case 'file-ref':
      return readFileHeader(kind, header, limits);
    default:
      return fault(indexOf(header), `unknown marker kind ${describeKind(kind)}`);
  }
}

/** The figure index a marker announced, for a problem about it. */
export function headIndex(head: MarkerHead): number | undefined {
  if (head.kind === 'problem') return head.problem.index;
  return head.kind === 'figure' || head.kind === 'figure-file' ? head.figure.index : undefined;
}

/**
 * Completes a marker at the end of its line. A `figure` marker's data was pushed to its
 * `FigureDataStream` as it arrived; for the other kinds, only whether there was any counts (a
 * `figure-file` marker carries none).
 */
export function readMarkerEnd(head: MarkerHead, hasData: boolean, fileData?: string): MarkerRecord {
  switch (head.kind) {
    case 'file': {
      const text = fileData ?? '';
      const bytes = decodeBase64(text.endsWith('\r') ? text.slice(0, -1) : text);
      if (bytes === undefined || bytes.byteLength !== head.byteLength) {
        return fileProblem(head.path, 'the file data is not valid base64 of the announced size');
      }
      const file = { path: head.path, mediaType: fileMediaType(head.path), data: bytes };
      return { kind: 'file', file };
    }
    case 'file-ref':
      return hasData
        ? fileProblem(head.path, 'a file-ref marker carries no data')
        : { kind: 'file-ref', path: head.path };
    case 'display':
    case 'fresh':
      return hasData ? fault(undefined, `a ${head.kind} marker carries no data`) : head;
    case 'figure': {
      const checked = head.data.end();
      if (typeof checked !== 'string') return { kind: 'figure', figure: checked };
      return fault(head.figure.index, `figure ${head.figure.index + 1}: ${checked}`);
    }
    case 'figure-file':
      return hasData
        ? fault(
            head.figure.index,
            `figure ${head.figure.index + 1}: a figure-file marker carries no data`,
          )
        : { kind: 'figure-file', figure: head.figure };
    default:
      return head;
  }
}

/** The header shared by `figure` and `figure-file` markers; a fault when it is malformed. */
function readFigureHeader(kind: string, header: Record<string, unknown>): FileFigure | Fault {
  const index = indexOf(header);
  if (index === undefined) {
    return fault(undefined, `malformed ${kind} marker: "index" must be a whole number >= 0`);
  }
  const fail = (reason: string) => fault(index, `figure ${index + 1}: ${reason}`);
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
  if (chart === CHART_TOO_DEEP) {
    figure.chartProblem = `chart data refused: nested deeper than ${MAX_HEADER_DEPTH} levels`;
  } else if (chart !== undefined) {
    const read = readChart(chart);
    if (typeof read === 'string') figure.chartProblem = `chart data refused: ${read}`;
    else figure.chart = read;
  } else if (typeof chartProblem === 'string' && chartProblem !== '') {
    figure.chartProblem = chartProblem.slice(0, MAX_CHART_PROBLEM_CHARS);
  }
}

/**
 * The header of a `file` or `file-ref` marker: a path the sandbox may use (relative, no `..`, no
 * control characters) and a size within the limits, admitted by the parser before any data.
 * A refused file becomes a problem naming its path.
 */
function readFileHeader(
  kind: 'file' | 'file-ref',
  header: Record<string, unknown>,
  limits: MarkerLimits,
): MarkerHead | Fault {
  const { path, size } = header;
  const problem = sandboxPathProblem(path);
  if (problem !== undefined) return fault(undefined, `malformed ${kind} marker: ${problem}`);
  const filePath = path as string;
  if (limits.files === undefined) {
    return fileProblem(filePath, 'files were not asked for; the marker was ignored');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return fileProblem(filePath, 'the marker has no valid "size"');
  }
  if (size > limits.files.maxFileBytes) {
    return fileProblem(
      filePath,
      `${formatBytes(size)}, over maxFileBytes (${formatBytes(limits.files.maxFileBytes)}): not collected`,
    );
  }
  const refused = limits.files.admit(filePath, size);
  if (refused !== undefined) return fileProblem(filePath, refused);
  return kind === 'file' ? { kind, path: filePath, byteLength: size } : { kind, path: filePath };
}

function fileProblem(path: string, reason: string): { kind: 'problem'; problem: FigureProblem } {
  return {
    kind: 'problem',
    problem: { stage: 'parse', path, reason: `${JSON.stringify(path)}: ${reason}` },
  };
}

function readError(header: Record<string, unknown>): MarkerHead | Fault {
  const { name, value, traceback } = header;
  if (typeof name !== 'string' || typeof value !== 'string' || typeof traceback !== 'string') {
    return fault(
      undefined,
      'malformed error marker: "name", "value" and "traceback" must be strings',
    );
  }
  return { kind: 'error', error: { name, value, traceback } };
}

function readProblem(header: Record<string, unknown>): MarkerHead | Fault {
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

function fault(index: number | undefined, reason: string): Fault {
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
