import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBackend } from '../../../src/backends/local.js';
import { salesAnalysisCode } from '../../../src/cli/sales-analysis.js';
import { CodeSandbox } from '../../../src/sandbox/code-sandbox.js';
import { localDirSink } from '../../../src/sinks/local-dir.js';
import { createExecutePythonTool } from '../../../src/tool/execute-python.js';
import type {
  BarSeries,
  CaptureOptions,
  ChartSeries,
  FigureChart,
  LineSeries,
  PieSeries,
  ScatterSeries,
  StoredFigure,
} from '../../../src/types/index.js';
import sales from '../../support/fixtures/sales.json' with { type: 'json' };

const products = ['Product A', 'Product B', 'Product C'] as const;

const open: CodeSandbox[] = [];
function sandbox(capture: CaptureOptions = {}, options: { dir?: string } = {}): CodeSandbox {
  const created = new CodeSandbox({
    backend: localBackend(),
    capture,
    ...(options.dir ? { imageSink: localDirSink({ dir: options.dir }) } : {}),
  });
  open.push(created);
  return created;
}

let shared: CodeSandbox;
beforeAll(async () => {
  shared = sandbox();
  await shared.writeFiles([{ path: 'sales.json', content: JSON.stringify(sales.series) }]);
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((each) => each.close()));
});

/** Runs code in the shared sandbox and returns its figures, failing on any problem. */
async function figuresOf(code: string, box: CodeSandbox = shared): Promise<StoredFigure[]> {
  const result = await box.executePython(code);
  expect(result.error).toBeUndefined();
  expect(result.problems).toEqual([]);
  return result.figures;
}

async function chartOf(code: string): Promise<FigureChart> {
  const [figure] = await figuresOf(`import matplotlib.pyplot as plt\n${code}`);
  expect(figure?.chartProblem).toBeUndefined();
  if (!figure?.chart) throw new Error('the figure has no chart');
  return figure.chart;
}

function seriesOf<T extends ChartSeries>(chart: FigureChart, kind: T['kind']): T[] {
  const all = chart.axes.flatMap((axes) => axes.series);
  return all.filter((series): series is T => series.kind === kind);
}

describe('chart data of the sales analysis', () => {
  it('has the three line series equal to the input data, per period', async () => {
    const figures = await figuresOf(salesAnalysisCode);
    expect(figures).toHaveLength(2);
    const trends = figures[0]?.chart;
    expect(trends).toBeDefined();
    expect(trends?.truncated).toBe(false);
    const [axes] = trends?.axes ?? [];
    expect(axes).toMatchObject({
      title: 'Sales trends',
      xLabel: 'Period',
      yLabel: 'Units sold',
      xScale: 'linear',
      yScale: 'linear',
    });
    const lines = axes?.series as LineSeries[];
    expect(lines.map((line) => line.kind)).toEqual(['line', 'line', 'line']);
    expect(lines.map((line) => line.label)).toEqual([...products]);
    const periods = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7'];
    for (const [position, product] of products.entries()) {
      const line = lines[position];
      expect(line?.y).toEqual(sales.series[product]);
      expect(line?.x).toEqual(periods);
      expect(line).toMatchObject({ points: 7, sampled: false });
    }
  });

  it('has the growth bars grouped by product, named by period, and the zero line', async () => {
    const figures = await figuresOf(salesAnalysisCode);
    const chart = figures[1]?.chart as FigureChart;
    expect(chart.axes[0]?.title).toBe('Period-over-period growth (%)');
    const bars = seriesOf<BarSeries>(chart, 'bar');
    expect(bars.map((series) => series.label)).toEqual([...products]);
    for (const [position, product] of products.entries()) {
      const series = bars[position] as BarSeries;
      expect(series.orientation).toBe('vertical');
      expect(series.bars.map((bar) => bar.category)).toEqual(['P2', 'P3', 'P4', 'P5', 'P6', 'P7']);
      const values = sales.series[product];
      const growth = values
        .slice(1)
        .map((value, period) => (value / (values[period] ?? 1) - 1) * 100);
      expect(series.bars).toHaveLength(growth.length);
      for (const [period, bar] of series.bars.entries()) {
        expect(bar.value).toBeCloseTo(growth[period] ?? Number.NaN, 9);
      }
    }
    // ax.axhline(0): the reference line, in data coordinates, unlabelled.
    const [zero] = seriesOf<LineSeries>(chart, 'line');
    expect(zero?.label).toBeUndefined();
    // Its y is in data units already: exactly 0, not a value moved through the transforms.
    expect(zero?.y).toEqual([0, 0]);
  });
});

describe('chart data read in the sandbox', () => {
  it('reads categorical bars, horizontal bars and grouped bars with their group labels', async () => {
    const chart = await chartOf(`import numpy as np
fig, (left, right) = plt.subplots(1, 2)
left.bar(["apples", "pears", "plums"], [3, 5, 2], label="2023")
x = np.arange(2)
right.bar(x - 0.2, [1, 2], width=0.4, label="North")
right.bar(x + 0.2, [3, 4], width=0.4, label="South")
right.set_xticks(x, ["Q1", "Q2"])
right.barh(["_"], [0])
`);
    const [left, right] = chart.axes;
    expect(left?.series).toEqual([
      {
        kind: 'bar',
        label: '2023',
        orientation: 'vertical',
        bars: [
          { category: 'apples', value: 3 },
          { category: 'pears', value: 5 },
          { category: 'plums', value: 2 },
        ],
        count: 3,
        sampled: false,
      },
    ]);
    const grouped = right?.series as BarSeries[];
    expect(grouped.slice(0, 2).map((series) => [series.label, series.bars])).toEqual([
      [
        'North',
        [
          { category: 'Q1', value: 1 },
          { category: 'Q2', value: 2 },
        ],
      ],
      [
        'South',
        [
          { category: 'Q1', value: 3 },
          { category: 'Q2', value: 4 },
        ],
      ],
    ]);
    expect(grouped[2]?.orientation).toBe('horizontal');
  });

  it('reads a scatter, a pie whose fractions sum to 1, and a log scale', async () => {
    const chart = await chartOf(`fig, (left, right) = plt.subplots(1, 2)
left.scatter([1, 2, 3], [10, 100, 1000], label="growth")
left.set_yscale("log")
left.set_title("Scatter"); left.set_xlabel("step"); left.set_ylabel("size")
right.pie([1, 2, 5], labels=["small", "medium", "large"], autopct="%1.0f%%")
fig.suptitle("Shapes")
`);
    expect(chart.title).toBe('Shapes');
    expect(chart.axes[0]).toMatchObject({
      title: 'Scatter',
      xLabel: 'step',
      yLabel: 'size',
      xScale: 'linear',
      yScale: 'log',
    });
    const [scatter] = seriesOf<ScatterSeries>(chart, 'scatter');
    expect(scatter).toEqual({
      kind: 'scatter',
      label: 'growth',
      x: [1, 2, 3],
      y: [10, 100, 1000],
      points: 3,
      sampled: false,
    });
    const [pie] = seriesOf<PieSeries>(chart, 'pie');
    expect(pie?.wedges.map((wedge) => wedge.label)).toEqual(['small', 'medium', 'large']);
    const fractions = pie?.wedges.map((wedge) => wedge.fraction) ?? [];
    expect(fractions.reduce((sum, fraction) => sum + fraction, 0)).toBeCloseTo(1, 6);
    expect(fractions[2]).toBeCloseTo(5 / 8, 6);
  });

  it('gives dates as ISO strings, for matplotlib dates and pandas time series', async () => {
    const chart = await chartOf(`import numpy as np, pandas as pd
fig, (left, right) = plt.subplots(1, 2)
left.plot(np.array(["2024-01-01", "2024-02-15"], dtype="datetime64[D]"), [1, 2], label="numpy")
monthly = pd.Series([5.0, 6.0, 7.0], index=pd.date_range("2024-01-01", periods=3, freq="MS"), name="pandas")
monthly.plot(ax=right, legend=True)
`);
    const [numpyLine, pandasLine] = seriesOf<LineSeries>(chart, 'line');
    expect(numpyLine?.x).toEqual(['2024-01-01', '2024-02-15']);
    expect(pandasLine?.label).toBe('pandas');
    expect(pandasLine?.x).toEqual(['2024-01-01', '2024-02-01', '2024-03-01']);
    expect(pandasLine?.y).toEqual([5, 6, 7]);
  });

  it('samples a 10000-point line, keeping the first and last points and the extremes', async () => {
    const chart = await chartOf(`import numpy as np
x = np.arange(10000)
y = np.sin(x / 100.0) * 10
y[5000] = 99.0
plt.plot(x, y)
`);
    const [line] = seriesOf<LineSeries>(chart, 'line');
    expect(line?.sampled).toBe(true);
    expect(line?.points).toBe(10_000);
    expect(line?.x.length).toBeLessThanOrEqual(200);
    expect(line?.x.length).toBe(line?.y.length);
    expect(line?.x[0]).toBe(0);
    expect(line?.x.at(-1)).toBe(9999);
    expect(line?.y[0]).toBe(0);
    expect(line?.y.at(-1)).toBeCloseTo(Math.sin(99.99) * 10, 9);
    expect(line?.yMax).toBe(99);
    expect(chart.truncated).toBe(true);
  });

  it('leaves NaN and infinite values out and counts them', async () => {
    const chart = await chartOf(`import math
plt.plot([1, 2, 3, 4, 5], [1.0, float("nan"), 3.0, math.inf, 5.0], label="gaps")
plt.bar(["a", "b"], [float("nan"), 2.0])
`);
    const [line] = seriesOf<LineSeries>(chart, 'line');
    expect(line).toMatchObject({ x: [1, 3, 5], y: [1, 3, 5], points: 5, nonFinite: 2 });
    const [bars] = seriesOf<BarSeries>(chart, 'bar');
    expect(bars).toMatchObject({ bars: [{ category: 'b', value: 2 }], count: 2, nonFinite: 1 });
  });

  it('bounds series per axes and skips colorbars', async () => {
    const chart = await chartOf(`import numpy as np
fig, ax = plt.subplots()
for offset in range(25):
    ax.plot([0, 1], [offset, offset])
image = ax.imshow(np.ones((2, 2)), extent=(0, 1, 0, 1))
fig.colorbar(image)
`);
    expect(chart.axes).toHaveLength(1);
    expect(chart.axes[0]?.series).toHaveLength(20);
    expect(chart.axes[0]?.omittedSeries).toBe(5);
    expect(chart.truncated).toBe(true);
  });

  it('still delivers a figure whose chart extraction raises, saying why', async () => {
    const result = await shared.executePython(`import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

class BrokenLine(Line2D):
    def get_xdata(self, orig=True):
        raise RuntimeError("this artist cannot tell its data")

fig, ax = plt.subplots()
ax.add_line(BrokenLine([0, 1], [0, 1]))
ax.set_title("broken")
`);
    expect(result.problems).toEqual([]);
    expect(result.figures).toHaveLength(1);
    const [figure] = result.figures;
    expect(figure?.title).toBe('broken');
    expect(figure?.byteLength).toBeGreaterThan(0);
    expect(figure?.chart).toBeUndefined();
    expect(figure?.chartProblem).toBe(
      'chart data could not be read: RuntimeError: this artist cannot tell its data',
    );
  });

  it('reads no chart data with capture.chartData false', async () => {
    const box = sandbox({ chartData: false });
    const [figure] = await figuresOf('import matplotlib.pyplot as plt\nplt.plot([1, 2])', box);
    expect(figure).toBeDefined();
    expect(figure).not.toHaveProperty('chart');
    expect(figure).not.toHaveProperty('chartProblem');
  });

  it('carries chart data with the files transport and through the local-dir sink', async () => {
    const dir = await import('node:fs/promises').then(({ mkdtemp }) =>
      mkdtemp(`${process.env.TMPDIR ?? '/tmp'}/sandplot-chart-`),
    );
    const box = sandbox({ transport: 'files' }, { dir });
    const [figure] = await figuresOf(
      'import matplotlib.pyplot as plt\nplt.plot(["a", "b"], [1, 2], label="files")',
      box,
    );
    expect(figure?.sink).toBe('local-dir');
    expect(figure?.chart?.axes[0]?.series).toEqual([
      { kind: 'line', label: 'files', x: ['a', 'b'], y: [1, 2], points: 2, sampled: false },
    ]);
  });
});

describe('execute_python tool text with chart data', () => {
  it('summarises each figure under its line', async () => {
    const tool = createExecutePythonTool(shared, { imagesForModel: 'never' });
    const output = await tool.invoke({ code: salesAnalysisCode });
    expect(output.isError).toBe(false);
    const figuresSection = output.text.slice(output.text.indexOf('Figures (captured'));
    const [first] = output.figures;
    expect(figuresSection).toContain(
      [
        `- figure 1, "Sales trends", ${first?.width}×${first?.height} px`,
        '  what it plots:',
        '  axes 1 "Sales trends": x "Period", y "Units sold"',
        '    line "Product A": 7 points: P1=100, P2=120, P3=95, P4=140, P5=160, P6=180, P7=200',
        '    line "Product B": 7 points: P1=80, P2=85, P3=90, P4=95, P5=100, P6=105, P7=110',
        '    line "Product C": 7 points: P1=200, P2=180, P3=220, P4=190, P5=240, P6=260, P7=280',
      ].join('\n'),
    );
    expect(figuresSection).toContain(
      '    bars "Product A": 6 bars: P2=20, P3=-20.8333, P4=47.3684, P5=14.2857, P6=12.5, P7=11.1111',
    );
    expect(output.text).not.toMatch(/[A-Za-z0-9+/]{200,}/);
  });

  it('says why a figure has no chart data', async () => {
    const tool = createExecutePythonTool(shared, { imagesForModel: 'never' });
    const output = await tool.invoke({
      code: `import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
class BrokenLine(Line2D):
    def get_xdata(self, orig=True):
        raise RuntimeError("no data here")
plt.gca().add_line(BrokenLine([0, 1], [0, 1]))
`,
    });
    expect(output.text).toMatch(
      /- figure \d+, \d+×\d+ px\n {2}what it plots: unknown \(chart data could not be read: RuntimeError: no data here\)/,
    );
    expect(output.text).not.toContain('Figures not delivered');
  });

  it('leaves the summaries out with maxChartSummaryChars 0', async () => {
    const tool = createExecutePythonTool(shared, {
      imagesForModel: 'never',
      maxChartSummaryChars: 0,
    });
    const output = await tool.invoke({ code: 'import matplotlib.pyplot as plt\nplt.plot([1, 2])' });
    expect(output.text).not.toContain('what it plots');
  });
});
