import { z } from 'zod';
import type { DisplayTable, ExecutionDisplay } from '../types/index.js';
import { readChart } from './read-chart.js';

/**
 * The bounds of a display, the same as in src/capture/python/display.py. The sandbox keeps to
 * them; the host checks them again because the sandbox runs untrusted code.
 */
export const DISPLAY_LIMITS = Object.freeze({
  /** Characters of a display's text. */
  maxTextChars: 100_000,
  /** Rows and columns of a table. */
  maxRows: 50,
  maxColumns: 30,
  /** Characters of a table cell or label. */
  maxCellChars: 200,
  /** Displays per execution; the rest are listed in `problems`. */
  maxDisplays: 100,
});

// Code points are counted in the sandbox; a UTF-16 string is at most twice as long.
const cellText = z.string().max(DISPLAY_LIMITS.maxCellChars * 2);
const cell = z.union([cellText, z.number().finite(), z.boolean(), z.null()]);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const tableSchema = z.object({
  columns: z.array(cellText).max(DISPLAY_LIMITS.maxColumns),
  rows: z.array(z.array(cell).max(DISPLAY_LIMITS.maxColumns)).max(DISPLAY_LIMITS.maxRows),
  rowCount: count,
  columnCount: count,
  index: z.array(cell).max(DISPLAY_LIMITS.maxRows).optional(),
  indexName: cellText.optional(),
});

/** What a display marker said (without its position), or why it was refused. */
export type DisplayRecord = Omit<ExecutionDisplay, 'position'>;

/**
 * Reads a display marker's header: `{ source, text, table?, chart?, chartProblem? }`. A text over
 * the limit is cut with a count; a malformed table or chart costs only the table or chart.
 */
export function readDisplay(header: Record<string, unknown>): DisplayRecord | string {
  const { source, text, table, chart, chartProblem } = header;
  if (source !== 'value' && source !== 'display') {
    return 'malformed display marker: "source" must be "value" or "display"';
  }
  if (typeof text !== 'string') return 'malformed display marker: "text" must be a string';
  const display: DisplayRecord = { source, text: boundText(text) };
  if (table !== undefined) {
    const parsed = tableSchema.safeParse(table);
    if (parsed.success) display.table = parsed.data as DisplayTable;
  }
  if (chart !== undefined) {
    const read = readChart(chart);
    if (typeof read === 'string') display.chartProblem = `chart data refused: ${read}`;
    else display.chart = read;
  } else if (typeof chartProblem === 'string' && chartProblem !== '') {
    display.chartProblem = chartProblem.slice(0, 300);
  }
  return display;
}

function boundText(text: string): string {
  const limit = DISPLAY_LIMITS.maxTextChars;
  if (text.length <= limit) return text;
  const head = Math.floor(limit * 0.8);
  const tail = limit - head;
  return `${text.slice(0, head)}\n… [${text.length - head - tail} characters cut] …\n${text.slice(-tail)}`;
}
