import { summarizeChart } from '../capture/chart-summary.js';
import type { ConfigError, SandplotError } from '../errors/index.js';
import type { ExecutionResult, FigureProblem } from '../types/index.js';
import { isShareableUrl, type LedgerFigure } from './figure-ledger.js';
import { fileLabel, filesSection } from './files-section.js';
import { outputWithDisplays } from './output-with-displays.js';
import { MISSING_CONVERSATION_ID_TEXT } from './pool-target.js';
import { clipLine, scrubBase64, splitBudget, truncateMiddle } from './text.js';
import { attachImages } from './tool-images.js';
import { type OutputSettings, parseOutputOptions } from './tool-options.js';
import type { ExecutePythonToolOutput } from './tool-types.js';

// Fields the sandboxed code controls that have no budget of their own: bounded so that they
// cannot carry more text to the model than the stdout budget lets the code print.
const MAX_TITLE_CHARS = 200;
const MAX_ERROR_NAME_CHARS = 200;
const MAX_PROBLEM_CHARS = 500;
const MAX_PROBLEMS_LISTED = 20;

/**
 * Builds the model-facing output of one execution: the text (stdout/stderr within the budget, the
 * error, one line per figure, the problems) and the images. Settings left out take the tool's
 * defaults. Exported for adapters and tests.
 */
export async function buildToolOutput(
  result: ExecutionResult,
  figures: readonly LedgerFigure[],
  settings: Partial<OutputSettings> = {},
  abortSignal?: AbortSignal,
): Promise<ExecutePythonToolOutput> {
  const config = parseOutputOptions(settings);
  const sections: string[] = [];
  if (result.sessionRestarted) {
    sections.push(
      result.inputFilesRestored
        ? 'Note: the sandbox was restarted before this call: variables, imports and files the code wrote in earlier calls are gone (the input files were written again); recompute what you need.'
        : 'Note: the sandbox was restarted before this call: variables, imports and files from earlier calls are gone; recompute what you need.',
    );
  }
  const printed = outputSections(result, config);
  sections.push(...printed.sections);
  const error = errorSection(result, config);
  if (error) sections.push(error);

  const { images, notAttached } = await attachImages(result, figures, config, abortSignal);
  if (figures.length > 0) {
    const lines = figures.map((figure) => figureLine(figure, config, notAttached.get(figure.ref)));
    sections.push(
      `Figures (captured automatically; refer to them as "figure N"):\n${lines.join('\n')}`,
    );
  }
  const files = filesSection(result.files ?? [], { includeUrls: config.includeFigureUrls });
  if (files) sections.push(files);
  if (result.problems.length > 0) sections.push(problemsSection(result.problems, figures));

  if (sections.length === 0 || (!printed.printedAnything && !result.isError)) {
    sections.unshift(
      figures.length > 0 || (result.files ?? []).length > 0
        ? 'The code ran without printing anything.'
        : 'The code ran without printing anything and made no figures.',
    );
  }
  return {
    text: sections.join('\n\n'),
    images,
    isError: result.isError,
    result,
    figures: [...figures],
  };
}

/** stdout and stderr within the output budget, base64 scrubbed. */
function outputSections(
  result: ExecutionResult,
  config: OutputSettings,
): { sections: string[]; printedAnything: boolean } {
  const stdout = scrubBase64(
    outputWithDisplays(result.stdout, result.displays, {
      maxChartSummaryChars: config.maxChartSummaryChars,
    }),
  );
  // The sandbox also prints the traceback to stderr; the error section carries it once.
  const traceback = result.error?.traceback.trim() ?? '';
  const stderr = scrubBase64(
    traceback.length > 0 && result.stderr.includes(traceback)
      ? result.stderr.replace(traceback, '').trim()
      : result.stderr,
  );
  const budget = splitBudget(stdout.length, stderr.length, config.maxOutputChars);
  const sections: string[] = [];
  if (stdout.length > 0) {
    sections.push(`stdout:\n${truncateMiddle(stdout, budget.first, { label: 'stdout' })}`);
  }
  if (stderr.length > 0) {
    sections.push(`stderr:\n${truncateMiddle(stderr, budget.second, { label: 'stderr' })}`);
  }
  return { sections, printedAnything: stdout.length > 0 || stderr.length > 0 };
}

/** The Python error with its traceback (the end kept), or how the code exited. */
function errorSection(result: ExecutionResult, config: OutputSettings): string | undefined {
  if (result.error) {
    const { name, value, traceback } = result.error;
    const message = truncateMiddle(scrubBase64(value), config.maxTracebackChars, {
      label: 'the error message',
    });
    let block = `Error: ${clipLine(name, MAX_ERROR_NAME_CHARS)}: ${message}`;
    const trimmed = scrubBase64(traceback.trimEnd());
    if (trimmed.length > 0) {
      block += `\n${truncateMiddle(trimmed, config.maxTracebackChars, { label: 'the traceback', headShare: 0.2 })}`;
    }
    return block;
  }
  if (result.isError) return `Error: the code exited with code ${result.exitCode ?? 'unknown'}.`;
  return undefined;
}

function figureLine(
  figure: LedgerFigure,
  config: OutputSettings,
  notAttachedReason: string | undefined,
): string {
  const parts = [figure.label];
  if (figure.title) parts.push(JSON.stringify(clipLine(figure.title, MAX_TITLE_CHARS)));
  if (figure.width && figure.height) parts.push(`${figure.width}×${figure.height} px`);
  if (config.imagesForModel !== 'never') {
    parts.push(
      notAttachedReason ? `not attached as an image: ${notAttachedReason}` : 'attached as an image',
    );
  }
  if (config.includeFigureUrls && isShareableUrl(figure.url)) parts.push(figure.url);
  return `- ${parts.join(', ')}${chartLines(figure, config.maxChartSummaryChars)}`;
}

// The figure's chart summary as indented lines under its figure line ('' when there is none).
function chartLines(figure: LedgerFigure, maxChars: number): string {
  if (maxChars === 0) return '';
  let summary: string;
  if (figure.chart) summary = `what it plots:\n${summarizeChart(figure.chart, { maxChars })}`;
  else if (figure.chartProblem) {
    summary = `what it plots: unknown (${clipLine(figure.chartProblem, 300)})`;
  } else return '';
  return `\n${scrubBase64(summary)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`;
}

function problemsSection(problems: readonly FigureProblem[], figures: readonly LedgerFigure[]) {
  const byIndex = new Map(figures.map((figure) => [figure.index, figure]));
  const listed = problems
    .slice(0, MAX_PROBLEMS_LISTED)
    .map((problem) => `- ${describeProblem(problem, byIndex)}`);
  const unlisted = problems.length - listed.length;
  if (unlisted > 0) listed.push(`- … and ${unlisted} more (see result.problems)`);
  const heading = problems.some((problem) => problem.path !== undefined)
    ? 'Figures and files not delivered'
    : 'Figures not delivered';
  return `${heading}:\n${listed.join('\n')}`;
}

function describeProblem(problem: FigureProblem, figures: Map<number, LedgerFigure>): string {
  const which =
    problem.path !== undefined
      ? `file ${fileLabel(problem.path)}`
      : problem.index === undefined
        ? 'a figure'
        : (figures.get(problem.index)?.label ?? `figure #${problem.index + 1} of this call`);
  const where = problem.sink ? ` (sink ${problem.sink})` : '';
  return `${which}: ${problem.stage} failed${where}: ${clipLine(scrubBase64(problem.reason), MAX_PROBLEM_CHARS)}`;
}

/** The answer to input that is not `{ code, description? }`: the code did not run. */
export function invalidInputOutput(toolName: string, reason: string): ExecutePythonToolOutput {
  return {
    text: `Invalid input for ${toolName}: ${reason}. Call it again with {"code": "<Python code>"} (and optionally "description"). The code did not run.`,
    images: [],
    isError: true,
    figures: [],
    errorCode: 'INVALID_INPUT',
  };
}

/** The answer when the sandbox (not the code) failed: says so, and whether trying again may work. */
export function sandboxFailureOutput(error: SandplotError): ExecutePythonToolOutput {
  const advice =
    error.code === 'SESSION_CLOSED'
      ? 'The sandbox is closed; no more code can run in this conversation.'
      : error.isRetryable
        ? 'This is not a problem in your code; trying again later may work.'
        : 'This is not a problem in your code; tell the user that the Python sandbox is unavailable.';
  return {
    text: `The Python sandbox failed (${error.code}) and the code did not run: ${error.message} ${advice}`,
    images: [],
    isError: true,
    figures: [],
    errorCode: error.code,
    error,
  };
}

/** The answer to a pool call without a conversation id; `error` tells the developer what to set. */
export function missingConversationOutput(error: ConfigError): ExecutePythonToolOutput {
  return {
    text: MISSING_CONVERSATION_ID_TEXT,
    images: [],
    isError: true,
    figures: [],
    errorCode: error.code,
    error,
  };
}
