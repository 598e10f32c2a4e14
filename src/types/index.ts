// The data model every layer speaks: capture, backends, sinks, the sandbox, the tool and the
// adapters import these types from here, never from each other.
export type { CaptureOptions } from './capture.js';
export type {
  BarSeries,
  ChartAxes,
  ChartSeries,
  ChartValue,
  FigureChart,
  LineSeries,
  PieSeries,
  ScatterSeries,
} from './chart.js';
export type { DisplayTable, ExecutionDisplay, TableCell } from './display.js';
export type { ExecuteOptions, ExecutionResult, PythonError } from './execution.js';
export type {
  CapturedFigure,
  FigureMediaType,
  FigureProblem,
  FileFigure,
  StoredFigure,
} from './figure.js';
export type { CapturedFile, OutputFileOptions, StoredFile } from './file.js';
