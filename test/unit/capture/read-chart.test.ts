import { describe, expect, it } from 'vitest';
import { parseFigureMarkers } from '../../../src/capture/parse-markers.js';
import { CHART_LIMITS, readChart } from '../../../src/capture/read-chart.js';
import type { FigureChart } from '../../../src/types/index.js';
import { tinyPng } from '../../support/png.js';

const nonce = '0123456789abcdef0123456789abcdef';

function base64(text: string | Uint8Array): string {
  return Buffer.from(text).toString('base64');
}

// A figure marker as the prelude writes it, with any header: the host must not trust it.
function figureMarker(header: Record<string, unknown>, kind = 'figure'): string {
  const data = kind === 'figure' ? base64(tinyPng) : '';
  return `@@sandplot:${nonce}:${kind}:${base64(JSON.stringify(header))}:${data}\n`;
}

const validChart: FigureChart = {
  title: 'Sales',
  axes: [
    {
      title: 'Trends',
      xLabel: 'Period',
      yLabel: 'Units',
      xScale: 'linear',
      yScale: 'log',
      series: [
        { kind: 'line', label: 'A', x: ['P1', 'P2'], y: [1, 2], points: 2, sampled: false },
        {
          kind: 'bar',
          label: 'B',
          orientation: 'vertical',
          bars: [{ category: 'P1', value: 3 }],
          count: 1,
          sampled: false,
        },
        { kind: 'scatter', x: [1], y: [2], points: 5, sampled: true, yMin: 0, yMax: 9 },
        { kind: 'pie', wedges: [{ label: 'a', fraction: 0.25 }, { fraction: 0.75 }] },
      ],
    },
  ],
  truncated: true,
};

describe('readChart', () => {
  it('accepts chart data of the documented shape', () => {
    expect(readChart(validChart)).toEqual(validChart);
  });

  it('drops keys the chart types do not have', () => {
    const read = readChart({ ...validChart, injected: '<script>' });
    expect(read).toEqual(validChart);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'chart', /expected object/],
    ['axes missing', { truncated: false }, /axes/],
    ['an unknown series kind', chartWith({ kind: 'heatmap' }), /kind/],
    [
      'x and y of different lengths',
      chartWith({ kind: 'line', x: [1, 2], y: [1], points: 2, sampled: false }),
      /differ in length/,
    ],
    [
      'points below the values sent',
      chartWith({ kind: 'line', x: [1, 2], y: [1, 2], points: 1, sampled: false }),
      /points/,
    ],
    [
      'a string where a number belongs',
      chartWith({ kind: 'line', x: [1], y: ['1'], points: 1, sampled: false }),
      /y/,
    ],
    [
      'a pie wedge over the whole',
      chartWith({ kind: 'pie', wedges: [{ fraction: 1.5 }] }),
      /fraction/,
    ],
    [
      'too many points',
      chartWith({
        kind: 'line',
        x: Array.from({ length: CHART_LIMITS.maxPoints + 1 }, (_, index) => index),
        y: Array.from({ length: CHART_LIMITS.maxPoints + 1 }, (_, index) => index),
        points: 1000,
        sampled: true,
      }),
      /x/,
    ],
    [
      'a label over the character limit',
      chartWith({
        kind: 'line',
        label: 'x'.repeat(CHART_LIMITS.maxTextChars + 1),
        x: [],
        y: [],
        points: 0,
        sampled: false,
      }),
      /label/,
    ],
    [
      'too many axes',
      {
        axes: Array.from({ length: CHART_LIMITS.maxAxes + 1 }, () => ({
          xScale: 'linear',
          yScale: 'linear',
          series: [],
        })),
        truncated: false,
      },
      /axes/,
    ],
  ])('refuses %s', (_label, chart, reason) => {
    const read = readChart(chart);
    expect(typeof read).toBe('string');
    expect(read).toMatch(reason);
  });

  it('refuses chart data over the byte limit before walking it', () => {
    const huge = { axes: [], truncated: false, padding: 'x'.repeat(CHART_LIMITS.maxBytes) };
    expect(readChart(huge)).toMatch(/over the limit of 65536/);
  });

  it('refuses a value nested deeper than chart data can be, without recursing into it', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 200_000; level++) deep = [deep];
    expect(readChart({ axes: deep, truncated: false })).toBe('nested deeper than 16 levels');
  });

  it('refuses infinite numbers (JSON.parse reads 1e999 as Infinity)', () => {
    const chart = JSON.parse(
      '{"axes":[{"xScale":"linear","yScale":"linear","series":[{"kind":"line","x":[1],"y":[1e999],"points":1,"sampled":false}]}],"truncated":false}',
    );
    expect(readChart(chart)).toMatch(/y/);
  });
});

describe('parseFigureMarkers with chart data', () => {
  it('puts a valid chart on the figure', () => {
    const parsed = parseFigureMarkers(
      figureMarker({ index: 0, format: 'png', chart: validChart }),
      { nonce },
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.figures).toHaveLength(1);
    expect(parsed.figures[0]?.chart).toEqual(validChart);
    expect(parsed.figures[0]?.chartProblem).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['a chart of the wrong shape', { axes: 'all of them', truncated: false }],
    ['a chart that is a string', 'x'.repeat(1000)],
    ['a chart with a NaN-like value', chartWith({ kind: 'line', x: [1], y: [null], points: 1 })],
    ['a chart over the byte limit', { axes: [], truncated: false, pad: 'x'.repeat(70_000) }],
  ])('keeps the figure but drops %s, saying why', (_label, chart) => {
    const parsed = parseFigureMarkers(
      `before\n${figureMarker({ index: 0, format: 'png', title: 'kept', chart })}after\n`,
      { nonce },
    );
    expect(parsed.stdout).toBe('before\nafter\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.figures).toHaveLength(1);
    const [figure] = parsed.figures;
    expect(figure?.title).toBe('kept');
    expect(figure?.data).toEqual(tinyPng);
    expect(figure?.chart).toBeUndefined();
    expect(figure?.chartProblem).toMatch(/^chart data refused: /);
    expect(figure?.chartProblem?.length).toBeLessThanOrEqual(250);
  });

  it('carries the sandbox reason for a missing chart, cut to a short line', () => {
    const parsed = parseFigureMarkers(
      figureMarker({ index: 0, format: 'png', chartProblem: `boom ${'x'.repeat(5000)}` }),
      { nonce },
    );
    expect(parsed.figures[0]?.chartProblem?.startsWith('boom')).toBe(true);
    expect(parsed.figures[0]?.chartProblem?.length).toBe(300);
  });

  it('ignores a chartProblem that is not a string', () => {
    const parsed = parseFigureMarkers(
      figureMarker({ index: 0, format: 'png', chartProblem: { nested: true } }),
      { nonce },
    );
    expect(parsed.figures).toHaveLength(1);
    expect(parsed.figures[0]).not.toHaveProperty('chartProblem');
  });

  // Built as text: JSON.stringify itself overflows the stack on such values.
  const rawMarker = (headerJson: string) =>
    `@@sandplot:${nonce}:figure:${base64(headerJson)}:${base64(tinyPng)}\n`;
  const nested = (depth: number, open = '{"a":', close = '}') =>
    `${open.repeat(depth)}1${close.repeat(depth)}`;

  it('drops a chart nested 100,000 levels deep and keeps the figure, quickly', () => {
    const started = performance.now();
    const parsed = parseFigureMarkers(
      rawMarker(`{"index":0,"format":"png","title":"kept","chart":${nested(100_000)}}`) +
        rawMarker(`{"index":1,"format":"png","chart":{"axes":${nested(100_000, '[', ']')}}}`),
      { nonce },
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(parsed.problems).toEqual([]);
    expect(parsed.figures.map((figure) => [figure.index, figure.chartProblem])).toEqual([
      [0, 'chart data refused: nested deeper than 64 levels'],
      [1, 'chart data refused: nested deeper than 64 levels'],
    ]);
    expect(parsed.figures[0]?.title).toBe('kept');
  });

  it('refuses a header nested too deep outside its chart: that marker only', () => {
    const parsed = parseFigureMarkers(
      rawMarker(`{"index":0,"format":"png","extra":${nested(100_000)}}`) +
        rawMarker(nested(100_000, '[', ']')) +
        rawMarker('{"index":2,"format":"png"}'),
      { nonce },
    );
    expect(parsed.figures.map((figure) => figure.index)).toEqual([2]);
    expect(parsed.problems).toEqual([
      {
        stage: 'parse',
        reason: 'malformed "figure" marker: the header nests deeper than 64 levels',
      },
      {
        stage: 'parse',
        reason: 'malformed "figure" marker: the header nests deeper than 64 levels',
      },
    ]);
  });

  it('reads a chart nested deeper than chart data can be as a chart problem, within the header limit', () => {
    const parsed = parseFigureMarkers(
      rawMarker(`{"index":0,"format":"png","chart":{"axes":[${nested(40)}],"truncated":false}}`),
      { nonce },
    );
    expect(parsed.figures[0]?.chartProblem).toBe(
      'chart data refused: nested deeper than 16 levels',
    );
  });

  it('reads the chart of a figure-file marker too', () => {
    const parsed = parseFigureMarkers(
      figureMarker({ index: 2, format: 'png', chart: validChart }, 'figure-file'),
      { nonce },
    );
    expect(parsed.fileFigures).toEqual([{ index: 2, mediaType: 'image/png', chart: validChart }]);
  });
});

function chartWith(series: Record<string, unknown>): unknown {
  return { axes: [{ xScale: 'linear', yScale: 'linear', series: [series] }], truncated: false };
}
