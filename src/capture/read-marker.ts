import type {
  CapturedFigure,
  FigureMediaType,
  FigureProblem,
  FileFigure,
  PythonError,
} from '../types/index.js';
import { FigureDataStream } from './figure-data-stream.js';
import { CHART_TOO_DEEP, decodeHeader, MAX_HEADER_DEPTH } from './marker-encoding.js';
import { readChart } from './read-chart.js';

/** What one marker said; a `fault` is a marker that could not be read (a `parse` problem). */
export type MarkerRecord =
  | { kind: 'figure'; figure: CapturedFigure }
  | { kind: 'figure-file'; figure: FileFigure }
  | { kind: 'error'; error: PythonError }
  | { kind: 'problem'; problem: FigureProblem }
  | { kind: 'fault'; index: number | undefined; reason: string };

/** The limits a `figure` marker's image is held to. */
export interface MarkerLimits {
  maxFigureBytes: number;
  maxFigureSidePixels: number;
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
  | { kind: 'problem'; problem: FigureProblem };

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
      if (refused !== undefined) return fault(index, `figure ${index}: ${refused}`);
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
    default:
      return fault(indexOf(header), `unknown marker kind ${describeKind(kind)}`);
  }
}

/** The figure index a marker announced, for a problem about it. */
export function headIndex(head: MarkerHead): number | undefined {
  if (head.kind === 'problem') return head.problem.index;
  return head.kind === 'error' ? undefined : head.figure.index;
}

/**
 * Completes a marker at the end of its line. A `figure` marker's data was pushed to its
 * `FigureDataStream` as it arrived; for the other kinds, only whether there was any counts (a
 * `figure-file` marker carries none).
 */
export function readMarkerEnd(head: MarkerHead, hasData: boolean): MarkerRecord {
  switch (head.kind) {
    case 'figure': {
      const checked = head.data.end();
      if (typeof checked !== 'string') return { kind: 'figure', figure: checked };
      return fault(head.figure.index, `figure ${head.figure.index}: ${checked}`);
    }
    case 'figure-file':
      return hasData
        ? fault(
            head.figure.index,
            `figure ${head.figure.index}: a figure-file marker carries no data`,
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
