import { z } from 'zod';
import type { FigureChart } from '../types/index.js';

/**
 * The bounds of chart data, the same as in src/capture/python/chart.py. The sandbox keeps to
 * them; the host checks them again because the sandbox runs untrusted code.
 */
export const CHART_LIMITS = Object.freeze({
  /** Axes per figure; the rest are counted in `omittedAxes`. */
  maxAxes: 12,
  /** Series per axes; the rest are counted in `omittedSeries`. */
  maxSeries: 20,
  /** Points of a line or scatter, bars of a bar series (an evenly spaced sample beyond). */
  maxPoints: 200,
  /** Wedges per pie. */
  maxWedges: 100,
  /** Characters (code points) of any title, label or category. */
  maxTextChars: 200,
  /** Bytes of the whole chart as compact JSON. */
  maxBytes: 64 * 1024,
});

// Chart data nests seven levels (chart, axes list, axes, series list, series, bars, bar).
// JSON.stringify and zod recurse, so anything deeper is refused before either walks it.
const MAX_CHART_DEPTH = 16;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
// JSON.parse turns 1e999 into Infinity.
const finite = z.number().finite();
const text = z
  .string()
  .max(CHART_LIMITS.maxTextChars * 2)
  .refine((value) => [...value].length <= CHART_LIMITS.maxTextChars, {
    message: `longer than ${CHART_LIMITS.maxTextChars} characters`,
  });
const value = z.union([finite, text]);
const points = <T extends z.ZodType>(item: T) => z.array(item).max(CHART_LIMITS.maxPoints);

/** What a line and a scatter have besides their kind, label and x. */
const pointFields = {
  y: points(finite),
  points: count,
  sampled: z.boolean(),
  nonFinite: count.optional(),
  yMin: finite.optional(),
  yMax: finite.optional(),
};

const lineSeries = z.object({
  kind: z.literal('line'),
  label: text.optional(),
  x: points(value),
  ...pointFields,
});

const scatterSeries = z.object({
  kind: z.literal('scatter'),
  label: text.optional(),
  x: points(finite),
  ...pointFields,
});

const barSeries = z.object({
  kind: z.literal('bar'),
  label: text.optional(),
  orientation: z.enum(['vertical', 'horizontal']),
  bars: points(z.object({ category: value, value: finite })),
  count,
  sampled: z.boolean(),
  nonFinite: count.optional(),
});

const pieSeries = z.object({
  kind: z.literal('pie'),
  wedges: z
    .array(z.object({ label: text.optional(), fraction: finite.min(0).max(1) }))
    .max(CHART_LIMITS.maxWedges),
});

const series = z
  .discriminatedUnion('kind', [lineSeries, scatterSeries, barSeries, pieSeries])
  .refine(
    (each) => !('x' in each) || (each.x.length === each.y.length && each.points >= each.x.length),
    { message: 'x and y differ in length, or points is below their length' },
  );

const axes = z.object({
  title: text.optional(),
  xLabel: text.optional(),
  yLabel: text.optional(),
  xScale: text,
  yScale: text,
  series: z.array(series).max(CHART_LIMITS.maxSeries),
  omittedSeries: count.optional(),
});

const chartSchema = z.object({
  title: text.optional(),
  axes: z.array(axes).max(CHART_LIMITS.maxAxes),
  omittedAxes: count.optional(),
  truncated: z.boolean(),
});

/**
 * Checks chart data that came from the sandbox against the shape of `FigureChart` and
 * `CHART_LIMITS`. Returns the chart (unknown keys dropped), or why it was refused.
 */
export function readChart(input: unknown): FigureChart | string {
  if (deeperThan(input, MAX_CHART_DEPTH)) return `nested deeper than ${MAX_CHART_DEPTH} levels`;
  // Measured first, so an oversized chart is refused before it is walked; the check drops
  // unknown keys, so what passes only gets smaller.
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (bytes > CHART_LIMITS.maxBytes) {
    return `${bytes} bytes of JSON, over the limit of ${CHART_LIMITS.maxBytes}`;
  }
  const parsed = chartSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${where}${issue?.message ?? 'invalid'}`.slice(0, 200);
  }
  return parsed.data as FigureChart;
}

/** Whether `value` nests objects or arrays deeper than `maxDepth`; iterative, stops early. */
function deeperThan(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
