import { summarizeChart } from '../capture/chart-summary.js';
import type { ExecutionDisplay } from '../types/index.js';

/**
 * The cell's output as a notebook shows it: what it printed, with each display (the last
 * expression's value, `display()` calls) at the place it appeared, on lines of its own. A display
 * with chart data (a plotly figure without an image) is followed by its chart summary.
 */
export function outputWithDisplays(
  stdout: string,
  displays: readonly ExecutionDisplay[] | undefined,
  options: { maxChartSummaryChars: number },
): string {
  if (displays === undefined || displays.length === 0) return stdout;
  const parts: string[] = [];
  let from = 0;
  for (const display of displays) {
    const at = Math.min(stdout.length, Math.max(from, display.position));
    parts.push(stdout.slice(from, at));
    from = at;
    const before = parts.join('');
    let text = display.text;
    if (display.chart && options.maxChartSummaryChars > 0) {
      text += `\n${summarizeChart(display.chart, { maxChars: options.maxChartSummaryChars })}`;
    } else if (display.chartProblem) {
      text += `\n(${display.chartProblem})`;
    }
    // A display starts on a line of its own and ends one, as in a notebook's output area.
    if (before !== '' && !before.endsWith('\n')) parts.push('\n');
    parts.push(text.endsWith('\n') ? text : `${text}\n`);
  }
  parts.push(stdout.slice(from));
  return parts.join('');
}
