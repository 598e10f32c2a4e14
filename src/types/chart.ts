/**
 * What a captured matplotlib figure shows, read from its artists in the sandbox: titles, labels,
 * scales and the plotted data, so a model without vision (or a person reading a report) can check
 * what was plotted. Bounded in size: long series are sampled and extra series or axes left out;
 * `truncated` and the per-series `sampled` say so.
 */
export interface FigureChart {
  /** The figure's suptitle, when it has one. */
  title?: string;
  /** The figure's axes (subplots), in the order matplotlib lists them. */
  axes: ChartAxes[];
  /** Axes left out beyond the limit. */
  omittedAxes?: number;
  /** True when anything was left out or sampled to keep the chart data bounded. */
  truncated: boolean;
}

/** One axes (subplot) of a figure. */
export interface ChartAxes {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** 'linear', 'log', 'symlog', 'logit' or a custom scale's name. */
  xScale: string;
  yScale: string;
  /** The plotted series, in drawing order. */
  series: ChartSeries[];
  /** Series left out beyond the per-axes limit. */
  omittedSeries?: number;
}

/** A value on an axis: a number, or a category / date label (dates as ISO 8601 strings). */
export type ChartValue = number | string;

export type ChartSeries = LineSeries | BarSeries | ScatterSeries | PieSeries;

/** A line (`plot`, pandas `.plot()`): x and y of each point. */
export interface LineSeries {
  kind: 'line';
  label?: string;
  x: ChartValue[];
  y: number[];
  /** Points in the original line; more than `x.length` when sampled. */
  points: number;
  /** True when `x`/`y` hold an evenly spaced sample that keeps the first and last points. */
  sampled: boolean;
  /** Points left out because x or y was NaN or infinite (matplotlib leaves a gap there). */
  nonFinite?: number;
  /** The smallest y of all the points, when sampled (a sample can miss the extremes). */
  yMin?: number;
  /** The largest y of all the points, when sampled. */
  yMax?: number;
}

/** One bar container (`bar`, `barh`, a pandas bar plot's column): a value per category. */
export interface BarSeries {
  kind: 'bar';
  /** The container's label: the group in a grouped or stacked bar chart. */
  label?: string;
  orientation: 'vertical' | 'horizontal';
  bars: { category: ChartValue; value: number }[];
  /** Bars in the original container; more than `bars.length` when sampled. */
  count: number;
  sampled: boolean;
  /** Bars left out because their value or position was NaN or infinite (nothing is drawn). */
  nonFinite?: number;
}

/** A scatter collection (`scatter`): the point positions. */
export interface ScatterSeries {
  kind: 'scatter';
  label?: string;
  x: number[];
  y: number[];
  points: number;
  sampled: boolean;
  /** Points left out because x or y was NaN or infinite (matplotlib draws nothing there). */
  nonFinite?: number;
  /** The smallest y of all the points, when sampled. */
  yMin?: number;
  /** The largest y of all the points, when sampled. */
  yMax?: number;
}

/** A pie (`pie`): each wedge's label and share of the whole (0 to 1). */
export interface PieSeries {
  kind: 'pie';
  wedges: { label?: string; fraction: number }[];
}
