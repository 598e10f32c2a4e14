import { summarizeChart } from '../capture/chart-summary.js';
import type { ExecutionResult, FigureProblem } from '../types/index.js';
import { isShareableUrl, type LedgerFigure, MAX_TITLE_CHARS } from './figure-ledger.js';
import { fileLabel } from './files-section.js';
import { scrubBase64 } from './scrub-base64.js';
import { clipEnd, clipLine, fitMiddle, shareBudget } from './text.js';
import type { OutputSettings } from './tool-options.js';

/**
 * One part of the model-facing text that shares the output budget. `fixed` is what it needs
 * whatever the budget (its heading, one line per figure or problem), `demand` the characters it
 * would add on top when whole; `render(share)` returns at most `fixed + share` characters.
 */
export interface OutputPart {
  fixed: number;
  demand: number;
  render(share: number): string;
}

// Fields the sandboxed code controls, bounded even when the budget would allow more.

const MAX_ERROR_NAME_CHARS = 200;
const MAX_PROBLEM_CHARS = 500;
const MAX_PROBLEMS_LISTED = 20;
const MAX_REASON_CHARS = 300;
// A title or chart summary given less than this is left out rather than cut to nothing.
const MIN_USEFUL_CHARS = 12;

/** A printed stream (stdout, or stderr without the traceback), cut in the middle, then scrubbed. */
export function streamPart(
  label: string,
  text: string,
  alreadyCut: number | undefined,
): OutputPart {
  const heading = `${label}:\n`;
  return {
    fixed: heading.length,
    demand: text.length,
    render: (share) => heading + fitMiddle(text, share, { label, alreadyCut: alreadyCut ?? 0 }),
  };
}

/** The Python error: its name, message (the middle cut) and traceback (the end kept). */
export function errorPart(
  error: NonNullable<ExecutionResult['error']>,
  config: OutputSettings,
): OutputPart {
  const prefix = `Error: ${clipLine(error.name, MAX_ERROR_NAME_CHARS)}: `;
  const traceback = error.traceback.trimEnd();
  const separator = traceback.length > 0 ? 1 : 0;
  const messageWants = Math.min(error.value.length, config.maxTracebackChars);
  const tracebackWants = Math.min(traceback.length, config.maxTracebackChars);
  const wants = [messageWants, tracebackWants];
  return {
    fixed: prefix.length + separator,
    demand: messageWants + tracebackWants,
    render(share: number): string {
      const [message = 0, trace = 0] = shareBudget(wants, share);
      let block = prefix + fitMiddle(error.value, message, { label: 'the error message' });
      if (traceback.length > 0) {
        block += `\n${fitMiddle(traceback, trace, { label: 'the traceback', headShare: 0.2 })}`;
      }
      return block;
    },
  };
}

/**
 * One line per figure (its reference, title, size, whether it is attached, its http(s) URL) and
 * its chart summary. The lines come first; titles share what is left, then chart summaries.
 */
export function figuresPart(
  figures: readonly LedgerFigure[],
  config: OutputSettings,
  notAttached: ReadonlyMap<number, string>,
): OutputPart {
  const entries = figures.map((figure) => {
    const title = figure.title ? clipLine(figure.title, MAX_TITLE_CHARS) : '';
    return {
      figure,
      parts: lineParts(figure, config, notAttached.get(figure.ref)),
      title,
      titleDemand: title ? quotedTitle(title, Number.POSITIVE_INFINITY).length + 2 : 0,
      chartDemand: chartBlock(figure, config.maxChartSummaryChars).length,
    };
  });
  const heading = 'Figures (captured automatically; refer to them as "figure N"):\n';
  const skeleton = entries.map((entry) => lineOf(entry.parts, '')).join('\n');
  return {
    fixed: heading.length + skeleton.length,
    demand: entries.reduce((sum, entry) => sum + entry.titleDemand + entry.chartDemand, 0),
    render(share) {
      const titleShares = shareBudget(
        entries.map((entry) => entry.titleDemand),
        share,
      );
      const titleTexts = entries.map((entry, index) =>
        entry.title ? quotedTitle(entry.title, (titleShares[index] as number) - 2) : '',
      );
      const left = share - titleTexts.reduce((sum, text) => sum + (text ? text.length + 2 : 0), 0);
      const chartShares = shareBudget(
        entries.map((entry) => entry.chartDemand),
        left,
      );
      const lines = entries.map(
        (entry, index) =>
          lineOf(entry.parts, titleTexts[index] as string) +
          chartBlock(entry.figure, config.maxChartSummaryChars, chartShares[index]),
      );
      return heading + lines.join('\n');
    },
  };
}

function lineParts(
  figure: LedgerFigure,
  config: OutputSettings,
  notAttachedReason: string | undefined,
): string[] {
  const parts = [figure.label];
  if (figure.width && figure.height) parts.push(`${figure.width}×${figure.height} px`);
  if (config.imagesForModel !== 'never') {
    parts.push(
      notAttachedReason
        ? `not attached as an image: ${clipLine(notAttachedReason, MAX_REASON_CHARS)}`
        : 'attached as an image',
    );
  }
  if (config.includeFigureUrls && isShareableUrl(figure.url)) parts.push(figure.url);
  return parts;
}

// `- figure 1, "Title", 640×480 px, …`: the title goes after the reference.
function lineOf(parts: readonly string[], title: string): string {
  const [label, ...rest] = parts;
  return `- ${[label, ...(title ? [title] : []), ...rest].join(', ')}`;
}

// The title in quotes (JSON escapes) within `maxChars`, or '' when too little room is left.
function quotedTitle(title: string, maxChars: number): string {
  let quoted = JSON.stringify(title);
  if (quoted.length <= maxChars) return quoted;
  let chars = maxChars - 2;
  while (chars >= MIN_USEFUL_CHARS) {
    quoted = JSON.stringify(clipLine(title, chars));
    if (quoted.length <= maxChars) return quoted;
    chars -= Math.max(1, quoted.length - maxChars);
  }
  return '';
}

// The figure's chart summary as indented lines under its line ('' when there is none), within
// `maxChars` when given.
function chartBlock(figure: LedgerFigure, summaryChars: number, maxChars = Infinity): string {
  if (summaryChars === 0 || maxChars < MIN_USEFUL_CHARS * 4) return '';
  const heading = '\n  what it plots:';
  if (!figure.chart) {
    if (!figure.chartProblem) return '';
    const room = Math.min(MAX_REASON_CHARS, maxChars - heading.length - ' unknown ()'.length);
    if (room < MIN_USEFUL_CHARS) return '';
    return `${heading} unknown (${scrubBase64(clipLine(figure.chartProblem, room))})`;
  }
  const chart = figure.chart;
  const render = (room: number) =>
    `${heading}\n${scrubBase64(summarizeChart(chart, { maxChars: room }))
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n')}`;
  const whole = render(summaryChars);
  if (whole.length <= maxChars) return whole;
  // Indentation costs three characters a line; lines run about sixty characters.
  const block = render(Math.min(summaryChars, Math.floor((maxChars - heading.length) * 0.9)));
  return block.length <= maxChars ? block : clipEnd(block, maxChars);
}

/** The figures that were not delivered, and why: at most 20 listed, reasons sharing the rest. */
export function problemsPart(
  problems: readonly FigureProblem[],
  figures: readonly LedgerFigure[],
): OutputPart {
  const byIndex = new Map(figures.map((figure) => [figure.index, figure]));
  const listed = problems.slice(0, MAX_PROBLEMS_LISTED).map((problem) => {
    const which =
      problem.path !== undefined
        ? `file ${fileLabel(problem.path)}`
        : problem.index === undefined
          ? 'a figure'
          : (byIndex.get(problem.index)?.label ?? `figure #${problem.index + 1} of this call`);
    const where = problem.sink ? ` (sink ${clipLine(problem.sink, 60)})` : '';
    const reason = clipLine(
      problem.stage === 'store' ? whatFailed(problem.reason, MAX_PROBLEM_CHARS) : problem.reason,
      MAX_PROBLEM_CHARS,
    );
    return { start: `- ${which}: ${problem.stage} failed${where}: `, reason };
  });
  const unlisted = problems.length - listed.length;
  const more = unlisted > 0 ? `\n- … and ${unlisted} more (see result.problems)` : '';
  const heading = problems.some((problem) => problem.path !== undefined)
    ? 'Figures and files not delivered:\n'
    : 'Figures not delivered:\n';
  const skeleton =
    listed.reduce((sum, line) => sum + line.start.length, 0) + listed.length - 1 + more.length;
  return {
    fixed: heading.length + skeleton,
    demand: listed.reduce((sum, line) => sum + line.reason.length, 0),
    render(share) {
      const shares = shareBudget(
        listed.map((line) => line.reason.length),
        share,
      );
      const lines = listed.map((line, index) => {
        const room = shares[index] as number;
        const reason = line.reason.length <= room ? line.reason : clipLine(line.reason, room);
        return line.start + scrubBase64(reason, { cutAtEnd: reason !== line.reason });
      });
      return heading + lines.join('\n') + more;
    },
  };
}

// A sink's message says what failed, then what the developer should change (`timeoutMs`, the
// bucket, credentials): the model gets the first sentence, the rest stays in `result.problems`.
// A sentence ends at ". " before a capital letter outside quotes: a quoted file name such as
// "notes. Final.csv" does not end it. Past `maxChars` the reason is clipped anyway.
function whatFailed(reason: string, maxChars: number): string {
  let quoted = false;
  for (let at = 0; at < Math.min(reason.length, maxChars); at += 1) {
    const char = reason[at];
    if (char === '\\' && quoted) at += 1;
    else if (char === '"') quoted = !quoted;
    else if (char === '.' && !quoted && /^\s[A-Z]/.test(reason.slice(at + 1, at + 3))) {
      return reason.slice(0, at + 1);
    }
  }
  return reason;
}
