import { describe, expect, it } from 'vitest';
import { summarizeChart } from '../../../src/capture/chart-summary.js';
import type { ChartAxes, ChartSeries, FigureChart } from '../../../src/types/index.js';

function oneAxes(series: ChartSeries[], axes: Partial<ChartAxes> = {}): FigureChart {
  return {
    axes: [{ xScale: 'linear', yScale: 'linear', series, ...axes }],
    truncated: false,
  };
}

describe('summarizeChart', () => {
  it('lists a short line point by point, with the axes titles and labels', () => {
    const chart = oneAxes(
      [
        {
          kind: 'line',
          label: 'Product A',
          x: ['P1', 'P2', 'P3'],
          y: [100, 120.5, 95],
          points: 3,
          sampled: false,
        },
      ],
      { title: 'Sales trends', xLabel: 'Period', yLabel: 'Units sold' },
    );
    expect(summarizeChart(chart)).toBe(
      [
        'axes 1 "Sales trends": x "Period", y "Units sold"',
        '  line "Product A": 3 points: P1=100, P2=120.5, P3=95',
      ].join('\n'),
    );
  });

  it('gives a long or sampled line as its ends and its extremes over all points', () => {
    const x = Array.from({ length: 200 }, (_, index) => index * 50);
    const y = x.map((value) => Math.sin(value));
    const chart = oneAxes([
      { kind: 'line', x, y, points: 10_000, sampled: true, yMin: -1, yMax: 1, nonFinite: 3 },
    ]);
    expect(summarizeChart(chart)).toBe(
      [
        'axes 1',
        `  line: 10,000 points: x 0 … 9950, y 0 … ${String(Number(Math.sin(9950).toPrecision(6)))}, min -1, max 1 (a sample of 200 points) (3 NaN or infinite left out)`,
      ].join('\n'),
    );
  });

  it('names non-linear scales, the figure title and what was left out', () => {
    const chart: FigureChart = {
      title: 'Overview',
      axes: [
        {
          xScale: 'linear',
          yScale: 'log',
          yLabel: 'Count',
          series: [],
          omittedSeries: 0,
        },
        { xScale: 'symlog', yScale: 'linear', series: [], omittedSeries: 4 },
      ],
      omittedAxes: 2,
      truncated: true,
    };
    expect(summarizeChart(chart)).toBe(
      [
        'figure title "Overview", 2 more axes left out',
        'axes 1: y "Count" (log scale) (nothing plotted)',
        'axes 2: x (symlog scale)',
        '  … 4 more series left out',
      ].join('\n'),
    );
  });

  it('lists grouped bars per group with their categories', () => {
    const chart = oneAxes([
      {
        kind: 'bar',
        label: 'North',
        orientation: 'vertical',
        bars: [
          { category: 'Q1', value: 1.23456789 },
          { category: 'Q2', value: -2 },
        ],
        count: 2,
        sampled: false,
      },
      {
        kind: 'bar',
        orientation: 'horizontal',
        bars: [{ category: 3, value: 4 }],
        count: 1,
        sampled: false,
      },
    ]);
    expect(summarizeChart(chart).split('\n').slice(1)).toEqual([
      '  bars "North": 2 bars: Q1=1.23457, Q2=-2',
      '  horizontal bars: 1 bar: 3=4',
    ]);
  });

  it('shortens a long bar series to its ends, min and max', () => {
    const bars = Array.from({ length: 30 }, (_, index) => ({
      category: `c${index}`,
      value: index === 7 ? 99 : index,
    }));
    const chart = oneAxes([
      { kind: 'bar', orientation: 'vertical', bars, count: 30, sampled: false },
    ]);
    expect(summarizeChart(chart).split('\n')[1]).toBe(
      '  bars: 30 bars: c0=0, c1=1, c2=2, c3=3, c4=4, …, c28=28, c29=29, min 0, max 99',
    );
  });

  it('gives scatters as points or ranges, and pies as percentages', () => {
    const chart = oneAxes([
      { kind: 'scatter', label: 'few', x: [1, 2], y: [3, 4], points: 2, sampled: false },
      {
        kind: 'scatter',
        x: Array.from({ length: 50 }, (_, index) => index),
        y: Array.from({ length: 50 }, (_, index) => -index),
        points: 50,
        sampled: false,
      },
      {
        kind: 'pie',
        wedges: [
          { label: 'Apples', fraction: 0.5 },
          { label: 'Pears', fraction: 0.25 },
          { fraction: 0.25 },
        ],
      },
    ]);
    expect(summarizeChart(chart).split('\n').slice(1)).toEqual([
      '  scatter "few": 2 points: (1, 3), (2, 4)',
      '  scatter: 50 points: x 0 to 49, y -49 to 0',
      '  pie: Apples 50%, Pears 25%, wedge 3 25%',
    ]);
  });

  it('keeps labels on one line, quoted and cut short', () => {
    const chart = oneAxes([
      {
        kind: 'line',
        label: `two\nlines "quoted" ${'x'.repeat(200)}`,
        x: [`${'y'.repeat(100)}`],
        y: [1],
        points: 1,
        sampled: false,
      },
    ]);
    const line = summarizeChart(chart).split('\n')[1] ?? '';
    expect(line).toContain('line "two lines \\"quoted\\" xxx');
    expect(line).not.toContain('x'.repeat(80));
    expect(line).toContain(`${'y'.repeat(39)}…=1`);
  });

  it('stays within the character budget, cutting whole lines and saying so', () => {
    const series: ChartSeries[] = Array.from({ length: 20 }, (_, index) => ({
      kind: 'line',
      label: `series ${index}`,
      x: [1, 2, 3],
      y: [index, index + 1, index + 2],
      points: 3,
      sampled: false,
    }));
    const summary = summarizeChart(oneAxes(series), { maxChars: 200 });
    const lines = summary.split('\n');
    expect(lines.at(-1)).toMatch(
      /^… \d+ more lines of chart data left out \(over 200 characters\)$/,
    );
    expect(lines.slice(0, -1).join('\n').length).toBeLessThanOrEqual(200);
    expect(lines[1]).toBe('  line "series 0": 3 points: 1=0, 2=1, 3=2');
  });

  it('says when a figure has no axes', () => {
    expect(summarizeChart({ axes: [], truncated: false })).toBe('no axes');
  });
});
