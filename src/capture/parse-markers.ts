import type {
  CapturedFigure,
  ExecutionDisplay,
  FigureProblem,
  FileFigure,
  PythonError,
} from '../types/index.js';
import { createFigureMarkerParser, type FigureMarkerOptions } from './marker-parser.js';

export { checkFigureData, type FigureDataLimits } from './check-figure-data.js';
export {
  createFigureMarkerParser,
  type FigureMarkerOptions,
  type FigureMarkerParser,
} from './marker-parser.js';

export interface ParsedFigureMarkers {
  /** The user's output with every marker removed. */
  stdout: string;
  figures: CapturedFigure[];
  /** Figures announced by `figure-file` markers, in the order they arrived. */
  fileFigures: FileFigure[];
  problems: FigureProblem[];
  /** What the cell showed (its last value, display() calls), with positions in `stdout`. */
  displays: ExecutionDisplay[];
  /** The run installed the prelude: the interpreter had not run wrapped code before. */
  freshInterpreter: boolean;
  /** The exception the user's code raised, when it raised one. */
  error?: PythonError;
}

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
    displays: parser.displays,
    freshInterpreter: parser.freshInterpreter,
  };
  if (parser.error !== undefined) result.error = parser.error;
  return result;
}
