import type { DisplayTable, ExecutionResult, TableCell } from '../types/index.js';
import { renderChart } from './chart-html.js';
import { escapeHtml } from './escape-html.js';

/**
 * The Output section: what the code printed, with each display (the last expression's value,
 * `display()` calls) where it appeared, DataFrames as tables. All of it is escaped text.
 */
export function renderOutput(result: ExecutionResult): string {
  const displays = result.displays ?? [];
  if (result.stdout === '' && displays.length === 0) {
    return '<section class="stdout">\n<h2>Output</h2>\n<p class="empty">No output.</p>\n</section>';
  }
  const parts: string[] = [];
  let from = 0;
  const printed = (to: number) => {
    const text = result.stdout.slice(from, to);
    if (text !== '') parts.push(`<pre>${escapeHtml(text)}</pre>`);
    from = to;
  };
  for (const display of displays) {
    printed(Math.min(result.stdout.length, Math.max(from, display.position)));
    const label = display.source === 'value' ? 'Value of the last line' : 'Displayed';
    const body = display.table
      ? renderTable(display.table)
      : `<pre>${escapeHtml(display.text)}</pre>`;
    const chart = display.chart ? renderChart(display.chart) : '';
    parts.push(
      `<div class="display ${display.source}"><p class="note">${label}</p>\n${body}${chart}</div>`,
    );
  }
  printed(result.stdout.length);
  return `<section class="stdout">\n<h2>Output</h2>\n${parts.join('\n')}\n</section>`;
}

function renderTable(table: DisplayTable): string {
  const index = table.index;
  const head = [
    index ? `<th>${escapeHtml(table.indexName ?? '')}</th>` : '',
    ...table.columns.map((column) => `<th>${escapeHtml(column)}</th>`),
  ].join('');
  const rows = table.rows.map((row, position) => {
    const label = index ? `<th>${cellText(index[position] ?? null)}</th>` : '';
    return `<tr>${label}${row.map((cell) => `<td>${cellText(cell)}</td>`).join('')}</tr>`;
  });
  const shown = `${table.rows.length} of ${table.rowCount} rows, ${table.columns.length} of ${table.columnCount} columns`;
  const cut = table.rows.length < table.rowCount || table.columns.length < table.columnCount;
  return `<table>${cut ? `<caption>${escapeHtml(shown)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function cellText(cell: TableCell): string {
  return cell === null ? '<span class="scale">NaN</span>' : escapeHtml(String(cell));
}
