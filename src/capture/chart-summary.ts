import type { BarSeries, ChartAxes, ChartSeries, ChartValue, FigureChart } from '../types/index.js';

export interface ChartSummaryOptions {
  /** Characters the summary may take; whole lines past it are left out, and the cut says so. @default 1500 */
  maxChars?: number;
}

const DEFAULT_MAX_CHARS = 1500;
// Series this short are listed value by value; longer ones as first … last, min, max.
const LISTED_VALUES = 12;
// Values shown at each end of a long bar series.
const BAR_HEAD = 5;
const BAR_TAIL = 2;
// Titles and labels, and categories, are cut to these many characters in the summary.
const MAX_LABEL_CHARS = 80;
const MAX_VALUE_CHARS = 40;

/**
 * A compact text account of chart data, for a model that cannot see the image: one line per
 * axes (title, axis labels, non-linear scales) and one per series. Short series are listed value
 * by value, so the model can check them against its data; long ones as their ends and extremes.
 * For example:
 * ```
 * axes 1 "Sales trends": x "Period", y "Units sold"
 *   line "Product A": 7 points: P1=100, P2=120, P3=95, P4=140, P5=160, P6=180, P7=200
 * ```
 */
export function summarizeChart(chart: FigureChart, options: ChartSummaryOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const lines: string[] = [];
  const notes: string[] = [];
  if (chart.title) notes.push(`figure title ${quote(chart.title)}`);
  if (chart.omittedAxes) notes.push(`${chart.omittedAxes} more axes left out`);
  if (notes.length > 0) lines.push(notes.join(', '));
  chart.axes.forEach((axes, position) => {
    lines.push(describeAxes(axes, position + 1));
    for (const series of axes.series) lines.push(`  ${describeSeries(series)}`);
    if (axes.omittedSeries) lines.push(`  … ${axes.omittedSeries} more series left out`);
  });
  if (chart.axes.length === 0) lines.push('no axes');
  return withinBudget(lines, maxChars);
}

function describeAxes(axes: ChartAxes, number: number): string {
  const head = `axes ${number}${axes.title ? ` ${quote(axes.title)}` : ''}`;
  const parts = [
    describeAxis('x', axes.xLabel, axes.xScale),
    describeAxis('y', axes.yLabel, axes.yScale),
  ].filter((part) => part !== '');
  const empty = axes.series.length === 0 && !axes.omittedSeries ? ' (nothing plotted)' : '';
  return `${head}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}${empty}`;
}

function describeAxis(name: string, label: string | undefined, scale: string): string {
  const parts = [label ? `${name} ${quote(label)}` : ''];
  if (scale !== 'linear') parts.push(`${label ? '' : `${name} `}(${oneLine(scale)} scale)`);
  return parts.filter((part) => part !== '').join(' ');
}

function describeSeries(series: ChartSeries): string {
  switch (series.kind) {
    case 'line': {
      const head = `line${label(series.label)}: ${plural(series.points, 'point')}`;
      const body =
        !series.sampled && series.x.length <= LISTED_VALUES
          ? series.x.map((x, index) => `${value(x)}=${number(series.y[index] ?? Number.NaN)}`)
          : [
              `x ${ends(series.x)}`,
              `y ${ends(series.y)}`,
              ...extremes(series.y, series.yMin, series.yMax),
            ];
      return `${head}${listing(body)}${sampling(series.sampled, series.x.length, 'points')}${gaps(series.nonFinite)}`;
    }
    case 'scatter': {
      const head = `scatter${label(series.label)}: ${plural(series.points, 'point')}`;
      const body =
        !series.sampled && series.x.length <= LISTED_VALUES
          ? series.x.map((x, index) => `(${number(x)}, ${number(series.y[index] ?? Number.NaN)})`)
          : [`x ${range(series.x)}`, `y ${range(series.y, series.yMin, series.yMax)}`];
      return `${head}${listing(body)}${sampling(series.sampled, series.x.length, 'points')}${gaps(series.nonFinite)}`;
    }
    case 'bar':
      return describeBars(series);
    case 'pie': {
      const wedges = series.wedges.map(
        (wedge, index) =>
          `${wedge.label ? clip(oneLine(wedge.label), MAX_VALUE_CHARS) : `wedge ${index + 1}`} ${percent(wedge.fraction)}`,
      );
      return `pie: ${wedges.length > 0 ? wedges.join(', ') : 'no wedges'}`;
    }
  }
}

function describeBars(series: BarSeries): string {
  const kind = series.orientation === 'horizontal' ? 'horizontal bars' : 'bars';
  const head = `${kind}${label(series.label)}: ${plural(series.count, 'bar')}`;
  const pairs = series.bars.map((bar) => `${value(bar.category)}=${number(bar.value)}`);
  let body: string[];
  if (series.bars.length <= LISTED_VALUES) {
    body = pairs;
  } else {
    const values = series.bars.map((bar) => bar.value);
    body = [
      [...pairs.slice(0, BAR_HEAD), '…', ...pairs.slice(-BAR_TAIL)].join(', '),
      ...extremes(values),
    ];
  }
  return `${head}${listing(body)}${sampling(series.sampled, series.bars.length, 'bars')}${gaps(series.nonFinite)}`;
}

function listing(parts: string[]): string {
  return parts.length > 0 ? `: ${parts.join(', ')}` : '';
}

function sampling(sampled: boolean, shown: number, what: string): string {
  return sampled ? ` (a sample of ${shown} ${what})` : '';
}

function gaps(nonFinite: number | undefined): string {
  return nonFinite ? ` (${nonFinite} NaN or infinite left out)` : '';
}

function ends(values: readonly ChartValue[]): string {
  if (values.length === 0) return '(none)';
  if (values.length === 1) return value(values[0] as ChartValue);
  return `${value(values[0] as ChartValue)} … ${value(values[values.length - 1] as ChartValue)}`;
}

function extremes(values: readonly number[], min?: number, max?: number): string[] {
  if (values.length === 0) return [];
  return [`min ${number(min ?? Math.min(...values))}`, `max ${number(max ?? Math.max(...values))}`];
}

function range(values: readonly number[], min?: number, max?: number): string {
  if (values.length === 0) return '(none)';
  return `${number(min ?? Math.min(...values))} to ${number(max ?? Math.max(...values))}`;
}

function value(item: ChartValue): string {
  return typeof item === 'number' ? number(item) : clip(oneLine(item), MAX_VALUE_CHARS);
}

/** Six significant digits: enough to check data against, short enough to read. */
function number(item: number): string {
  if (!Number.isFinite(item)) return String(item);
  if (Number.isInteger(item) && Math.abs(item) < 1e15) return String(item);
  return String(Number(item.toPrecision(6)));
}

function percent(fraction: number): string {
  const text = (fraction * 100).toFixed(1);
  return `${text.endsWith('.0') ? text.slice(0, -2) : text}%`;
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

function label(text: string | undefined): string {
  return text ? ` ${quote(text)}` : '';
}

function quote(text: string): string {
  return JSON.stringify(clip(oneLine(text), MAX_LABEL_CHARS));
}

function clip(text: string, maxChars: number): string {
  const characters = [...text];
  return characters.length <= maxChars ? text : `${characters.slice(0, maxChars - 1).join('')}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function withinBudget(lines: readonly string[], maxChars: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const [position, line] of lines.entries()) {
    const cost = line.length + (kept.length > 0 ? 1 : 0);
    if (used + cost > maxChars) {
      const left = lines.length - position;
      kept.push(
        `… ${plural(left, 'more line')} of chart data left out (over ${maxChars} characters)`,
      );
      break;
    }
    kept.push(line);
    used += cost;
  }
  return kept.join('\n');
}
