import type { ConfigError, InvalidInputError, SandplotError } from '../errors/index.js';
import type { ExecutionResult } from '../types/index.js';
import type { LedgerFigure } from './figure-ledger.js';
import { filesSection } from './files-section.js';
import {
  errorPart,
  figuresPart,
  type OutputPart,
  problemsPart,
  streamPart,
} from './output-sections.js';
import { outputWithDisplays } from './output-with-displays.js';
import { MISSING_CONVERSATION_ID_TEXT } from './pool-target.js';
import { clipEnd, shareBudget } from './text.js';
import { attachImages } from './tool-images.js';
import { type OutputSettings, parseOutputOptions } from './tool-options.js';
import type { ExecutePythonToolOutput } from './tool-types.js';

const SECTION_BREAK = '\n\n';

/**
 * Builds the model-facing output of one execution: the text (stdout/stderr, the error, one line
 * per figure with its chart summary, the problems) and the images. The whole text stays within
 * `maxOutputChars`: notes and headings first, then the parts share the rest fairly (a part that
 * needs less than an equal share keeps all of it; the others split what is left). Every part is
 * cut before it is scrubbed of base64, so the work is bounded by the budget, not by what the code
 * printed. Settings left out take the tool's defaults. Exported for adapters and tests.
 */
export async function buildToolOutput(
  result: ExecutionResult,
  figures: readonly LedgerFigure[],
  settings: Partial<OutputSettings> = {},
  abortSignal?: AbortSignal,
): Promise<ExecutePythonToolOutput> {
  const config = parseOutputOptions(settings);
  const { images, notAttached } = await attachImages(result, figures, config, abortSignal);

  const notes: string[] = [];
  // The sandbox also prints the traceback to stderr; the error section carries it once.
  const traceback = result.error?.traceback.trim() ?? '';
  const stderr =
    traceback.length > 0 && result.stderr.includes(traceback)
      ? result.stderr.replace(traceback, '').trim()
      : result.stderr;
  // What the cell printed, with its displays (the last value, display() calls) in place.
  const stdout = outputWithDisplays(result.stdout, result.displays, {
    maxChartSummaryChars: config.maxChartSummaryChars,
  });
  const files = result.files ?? [];
  const printedAnything = stdout.length > 0 || stderr.length > 0;
  if (!printedAnything && !result.isError) {
    notes.push(
      figures.length > 0 || files.length > 0
        ? 'The code ran without printing anything.'
        : 'The code ran without printing anything and made no figures.',
    );
  }
  if (result.sessionRestarted) {
    notes.push(
      result.inputFilesRestored
        ? 'Note: the sandbox was restarted before this call: variables, imports and files the code wrote in earlier calls are gone (the input files were written again); recompute what you need.'
        : 'Note: the sandbox was restarted before this call: variables, imports and files from earlier calls are gone; recompute what you need.',
    );
  }
  const parts: OutputPart[] = [];
  if (stdout.length > 0) {
    parts.push(streamPart('stdout', stdout, result.stdoutTruncatedChars));
  }
  if (stderr.length > 0) parts.push(streamPart('stderr', stderr, result.stderrTruncatedChars));
  if (result.error) parts.push(errorPart(result.error, config));
  else if (result.isError) {
    const exited = `Error: the code exited with code ${result.exitCode ?? 'unknown'}.`;
    parts.push({ fixed: exited.length, demand: 0, render: () => exited });
  }
  if (figures.length > 0) parts.push(figuresPart(figures, config, notAttached));
  const written = filesSection(files, { includeUrls: config.includeFigureUrls });
  if (written) parts.push({ fixed: written.length, demand: 0, render: () => written });
  if (result.problems.length > 0) parts.push(problemsPart(result.problems, figures));

  return {
    text: layOut(notes, parts, config.maxOutputChars),
    images,
    isError: result.isError,
    result,
    figures: [...figures],
  };
}

/**
 * The notes, then the parts, within `maxChars` all told: what each part needs whatever the budget
 * (headings, one line per figure) comes first, then the parts share the rest fairly.
 */
function layOut(notes: readonly string[], parts: readonly OutputPart[], maxChars: number): string {
  const fixed =
    notes.reduce((sum, note) => sum + note.length, 0) +
    parts.reduce((sum, part) => sum + part.fixed, 0) +
    Math.max(0, notes.length + parts.length - 1) * SECTION_BREAK.length;
  const shares = shareBudget(
    parts.map((part) => part.demand),
    maxChars - fixed,
  );
  const rendered = parts.map((part, index) => part.render(shares[index] as number));
  // Only a budget too small for the notes, headings and figure lines themselves gets here.
  return clipEnd([...notes, ...rendered].join(SECTION_BREAK), maxChars);
}

/** The answer to input that is not `{ code, description? }`: the code did not run. */
export function invalidInputOutput(toolName: string, reason: string): ExecutePythonToolOutput {
  const stop = /[.!?]$/.test(reason) ? '' : '.';
  return {
    text: `Invalid input for ${toolName}: ${reason}${stop} Call it again with {"code": "<Python code>"} (and optionally "description"). The code did not run.`,
    images: [],
    isError: true,
    figures: [],
    errorCode: 'INVALID_INPUT',
  };
}

/**
 * The answer when the sandbox refused the code (too large, empty): the error's `modelMessage`
 * says what the model can do; the error, whose message names the option, stays for the developer.
 */
export function refusedCodeOutput(
  toolName: string,
  error: InvalidInputError,
): ExecutePythonToolOutput {
  if (error.modelMessage === undefined)
    return { ...invalidInputOutput(toolName, error.message), error };
  return {
    text: error.modelMessage,
    images: [],
    isError: true,
    figures: [],
    errorCode: 'INVALID_INPUT',
    error,
  };
}

/**
 * The answer when the sandbox (not the code) failed: says so, and whether trying again may work.
 * The error's message, written for the developer (options, credentials), is in `error`, not in
 * the text: the model can do nothing with it.
 */
export function sandboxFailureOutput(error: SandplotError): ExecutePythonToolOutput {
  const advice =
    error.code === 'SESSION_CLOSED'
      ? 'The sandbox is closed; no more code can run in this conversation.'
      : error.isRetryable
        ? 'This is not a problem in your code; trying again later may work.'
        : 'This is not a problem in your code; tell the user that the Python sandbox is unavailable.';
  return {
    text: `The Python sandbox failed (${error.code}) and the code did not run. ${advice}`,
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
