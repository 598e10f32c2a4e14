import type {
  BarSeries,
  ChartAxes,
  ChartSeries,
  ChartValue,
  FigureChart,
  LineSeries,
  PieSeries,
  ScatterSeries,
  StoredFigure,
} from '../types/index.js';
import { escapeHtml } from './escape-html.js';

/**
 * The chart data a figure carries, when capture read it. Checked rather than trusted: a result
 * may come back from JSON or from a custom sink.
 */
export function chartOf(figure: StoredFigure): FigureChart | undefined {
  const chart: unknown = figure.chart;
  if (typeof chart !== 'object' || chart === null) return undefined;
  return Array.isArray((chart as { axes?: unknown }).axes) ? (chart as FigureChart) : undefined;
}

/** A figure's chart data as headings, axis descriptions and tables; every value escaped. */
export function renderChart(chart: FigureChart): string {
  const parts: string[] = ['<div class="chart">'];
  parts.push('<h4>Chart data</h4>');
  if (chart.title) parts.push(`<p>Figure title: <strong>${escapeHtml(chart.title)}</strong></p>`);
  chart.axes.forEach((axes, position) => {
    parts.push(renderAxes(axes, position, chart.axes.length));
  });
  const leftOut: string[] = [];
  if (chart.omittedAxes) leftOut.push(`${chart.omittedAxes} more axes were left out`);
  if (chart.truncated) {
    leftOut.push('some of the data was sampled or left out to keep the chart data bounded');
  }
  if (leftOut.length > 0) parts.push(`<p class="note">${escapeHtml(sentence(leftOut))}</p>`);
  parts.push('</div>');
  return parts.join('\n');
}

function renderAxes(axes: ChartAxes, position: number, count: number): string {
  const name = count > 1 ? `Axes ${position + 1}` : 'Axes';
  const heading = axes.title ? `${name}: ${axes.title}` : name;
  const parts = [`<section class="axes"><h5>${escapeHtml(heading)}</h5>`];
  parts.push(
    '<dl class="axis-list">',
    `<dt>x axis</dt><dd>${axisDescription(axes.xLabel, axes.xScale)}</dd>`,
    `<dt>y axis</dt><dd>${axisDescription(axes.yLabel, axes.yScale)}</dd>`,
    '</dl>',
  );
  const series = Array.isArray(axes.series) ? axes.series : [];
  if (series.length === 0) parts.push('<p class="note">No plotted series.</p>');
  for (const group of groupSeries(series)) parts.push(renderGroup(group, axes));
  if (axes.omittedSeries) {
    parts.push(
      `<p class="note">${axes.omittedSeries} more series on these axes were left out.</p>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

function axisDescription(label: string | undefined, scale: string): string {
  const labelled = label ? `<strong>${escapeHtml(label)}</strong>` : '<em>no label</em>';
  return `${labelled} <span class="scale">(${escapeHtml(String(scale ?? 'linear'))} scale)</span>`;
}

/** Series that share their x values (lines) or categories (bars) read best side by side. */
type SeriesGroup =
  | { kind: 'line'; series: { series: LineSeries; number: number }[] }
  | { kind: 'bar'; series: { series: BarSeries; number: number }[] }
  | { kind: 'single'; series: ChartSeries; number: number };

function groupSeries(series: ChartSeries[]): SeriesGroup[] {
  const groups: SeriesGroup[] = [];
  const lineGroups = new Map<string, Extract<SeriesGroup, { kind: 'line' }>>();
  const barGroups = new Map<string, Extract<SeriesGroup, { kind: 'bar' }>>();
  series.forEach((each, position) => {
    const number = position + 1;
    if (each.kind === 'line') {
      const key = JSON.stringify(each.x);
      let group = lineGroups.get(key);
      if (!group) {
        group = { kind: 'line', series: [] };
        lineGroups.set(key, group);
        groups.push(group);
      }
      group.series.push({ series: each, number });
    } else if (each.kind === 'bar') {
      const key = JSON.stringify([each.orientation, each.bars.map((bar) => bar.category)]);
      let group = barGroups.get(key);
      if (!group) {
        group = { kind: 'bar', series: [] };
        barGroups.set(key, group);
        groups.push(group);
      }
      group.series.push({ series: each, number });
    } else {
      groups.push({ kind: 'single', series: each, number });
    }
  });
  return groups;
}

function renderGroup(group: SeriesGroup, axes: ChartAxes): string {
  if (group.kind === 'line') {
    const first = group.series[0]?.series as LineSeries;
    const names = group.series.map(({ series, number }) => seriesName(series.label, number));
    const rows = first.x.map((x, row) => [
      x,
      ...group.series.map(({ series }) => series.y[row] ?? ''),
    ]);
    return [
      table(
        `Line${names.length > 1 ? 's' : ''}: ${names.join(', ')}`,
        [axes.xLabel || 'x', ...names],
        rows,
      ),
      ...group.series.map(({ series, number }) =>
        seriesNote(seriesName(series.label, number), series, series.x.length, series.points),
      ),
    ].join('\n');
  }
  if (group.kind === 'bar') {
    const first = group.series[0]?.series as BarSeries;
    const names = group.series.map(({ series, number }) => seriesName(series.label, number));
    const categoryAxis = first.orientation === 'horizontal' ? axes.yLabel : axes.xLabel;
    const rows = first.bars.map((bar, row) => [
      bar.category,
      ...group.series.map(({ series }) => series.bars[row]?.value ?? ''),
    ]);
    return [
      table(
        `${first.orientation === 'horizontal' ? 'Horizontal bars' : 'Bars'}: ${names.join(', ')}`,
        [categoryAxis || 'category', ...names],
        rows,
      ),
      ...group.series.map(({ series, number }) =>
        seriesNote(seriesName(series.label, number), series, series.bars.length, series.count),
      ),
    ].join('\n');
  }
  return renderSingle(group.series, group.number, axes);
}

function renderSingle(series: ChartSeries, number: number, axes: ChartAxes): string {
  switch (series.kind) {
    case 'scatter':
      return renderScatter(series, number, axes);
    case 'pie':
      return renderPie(series, number);
    default:
      return `<p class="note">Series ${number} is of a kind this report does not show (${escapeHtml(String((series as { kind?: unknown }).kind))}).</p>`;
  }
}

function renderScatter(series: ScatterSeries, number: number, axes: ChartAxes): string {
  const name = seriesName(series.label, number);
  const rows = series.x.map((x, row) => [x, series.y[row] ?? '']);
  return [
    table(`Scatter: ${name}`, [axes.xLabel || 'x', axes.yLabel || 'y'], rows),
    seriesNote(name, series, series.x.length, series.points),
  ].join('\n');
}

function renderPie(series: PieSeries, number: number): string {
  const rows = series.wedges.map((wedge, position) => [
    wedge.label || `wedge ${position + 1}`,
    `${formatNumber(wedge.fraction * 100, 3)} %`,
  ]);
  return table(`Pie ${number}`, ['wedge', 'share'], rows);
}

function seriesName(label: string | undefined, number: number): string {
  return label || `series ${number}`;
}

/** What a table leaves unsaid: sampling (and the true y range), points dropped as NaN or infinite. */
function seriesNote(
  name: string,
  series: { sampled: boolean; nonFinite?: number; yMin?: number; yMax?: number },
  shown: number,
  total: number,
): string {
  const notes: string[] = [];
  if (series.sampled) {
    notes.push(
      `a sample of ${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} points, evenly spaced, first and last kept`,
    );
    if (series.yMin !== undefined && series.yMax !== undefined) {
      notes.push(
        `y over all points from ${formatNumber(series.yMin)} to ${formatNumber(series.yMax)}`,
      );
    }
  }
  if (series.nonFinite) {
    notes.push(`${series.nonFinite.toLocaleString('en-US')} left out as NaN or infinite`);
  }
  if (notes.length === 0) return '';
  return `<p class="note">${escapeHtml(name)}: ${escapeHtml(notes.join('; '))}.</p>`;
}

function table(caption: string, headings: string[], rows: (ChartValue | '')[][]): string {
  const head = headings.map((heading) => `<th scope="col">${escapeHtml(heading)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, column) => (column === 0 ? `<th scope="row">${cellText(cell)}</th>` : `<td>${cellText(cell)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table class="data"><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function cellText(value: ChartValue | ''): string {
  return typeof value === 'number' ? formatNumber(value) : escapeHtml(String(value));
}

/** Enough digits to read the data without float noise such as 0.30000000000000004. */
function formatNumber(value: number, digits = 6): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(digits)));
}

function sentence(parts: string[]): string {
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}
