import type { FigureChart } from './chart.js';

/** A table cell as it left the sandbox: NaN, NaT and None are null; dates are ISO strings. */
export type TableCell = string | number | boolean | null;

/**
 * A DataFrame or Series a cell showed, bounded (the first 50 rows and 30 columns), so an
 * application or the HTML report can render a real table. `rowCount` and `columnCount` are the
 * full sizes.
 */
export interface DisplayTable {
  /** Column labels (a MultiIndex's levels joined with " / "); a Series has one column. */
  columns: string[];
  /** Row values, in column order. */
  rows: TableCell[][];
  /** Rows in the whole DataFrame. */
  rowCount: number;
  /** Columns in the whole DataFrame. */
  columnCount: number;
  /** The row labels (the index) of `rows`. */
  index?: TableCell[];
  /** The index's name, when it has one. */
  indexName?: string;
}

/**
 * Something a cell showed the way a notebook shows it: the value of its last expression
 * (`source: 'value'`) or an object passed to `display()` (`source: 'display'`). Images (figures,
 * PIL images) are delivered as figures instead.
 */
export interface ExecutionDisplay {
  source: 'value' | 'display';
  /** What a notebook shows as text: pandas objects as pandas prints them, Markdown as its text. */
  text: string;
  /** For DataFrames and Series. */
  table?: DisplayTable;
  /** For a chart shown without an image (a plotly figure when no static renderer is installed). */
  chart?: FigureChart;
  /** Why a chart shown without an image has no `chart`. */
  chartProblem?: string;
  /**
   * Where in the result's `stdout` (a character offset) the display appeared, so output and
   * displays can be shown in the order the cell produced them.
   */
  position: number;
}
