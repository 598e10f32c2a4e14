import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { ConfigError, InvalidInputError } from '../errors/index.js';
import { terminalLine } from '../internal/terminal-safe.js';
import { CodeSandbox } from '../sandbox/code-sandbox.js';
import { clipLine } from '../tool/text.js';
import type { ExecutionResult } from '../types/index.js';
import { backendArgumentOptions, backendFromOptions, backendUsage } from './backend-option.js';
import { figureLine, fileLine } from './figure-line.js';
import {
  checkReportPath,
  htmlArgumentOptions,
  htmlUsage,
  reportLine,
  writeReport,
} from './html-option.js';
import { inputArgumentOptions, inputFilesFromOptions, inputUsage } from './input-option.js';
import { readUserFile } from './read-user-file.js';
import { sinkArgumentOptions, sinkFromOptions, sinkUsage } from './sink-option.js';
import { startSpinner, streamAround } from './spinner.js';

export const runUsage = `Usage: sandplot run <file.py | -> [options]

Runs Python in a sandbox and stores the figures it makes and the files it writes.

Options:
${inputUsage}
${sinkUsage}
  --format png|svg|jpeg      figure format (default: png)
  --timeout SECONDS          interrupt the code after this long (default: 120)
${backendUsage}
  --json                     print the whole ExecutionResult as JSON
${htmlUsage}
  -h, --help                 show this help

Exit code: 0 when the code ran, 1 when the Python raised or timed out, 2 for usage errors.`;

/** `sandplot run`: returns the process exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...inputArgumentOptions,
      ...sinkArgumentOptions,
      format: { type: 'string', default: 'png' },
      timeout: { type: 'string' },
      ...backendArgumentOptions,
      json: { type: 'boolean', default: false },
      ...htmlArgumentOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${runUsage}\n`);
    return 0;
  }
  const source = positionals[0];
  if (source === undefined || positionals.length > 1) {
    throw new InvalidInputError(
      `sandplot run takes one file (or - for standard input).\n\n${runUsage}`,
    );
  }
  const format = values.format;
  if (format !== 'png' && format !== 'svg' && format !== 'jpeg') {
    throw new ConfigError(`--format must be png, svg or jpeg, not ${JSON.stringify(format)}.`);
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new ConfigError(
        `--timeout takes a positive number of seconds, not ${JSON.stringify(values.timeout)}.`,
      );
    }
    timeoutMs = Math.round(seconds * 1000);
  }
  const code =
    source === '-'
      ? await text(process.stdin)
      : (await readUserFile(source, JSON.stringify(source))).toString('utf8');
  const backend = await backendFromOptions(values);
  const reportPath = values.html === undefined ? undefined : await checkReportPath(values.html);
  const inputs = await inputFilesFromOptions(values);

  await using sandbox = new CodeSandbox({
    backend,
    imageSink: await sinkFromOptions(values),
    capture: { format },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const spinner = startSpinner(process.stderr, 'running');
  let result: ExecutionResult;
  try {
    if (inputs.length > 0) await sandbox.writeFiles(inputs);
    result = await sandbox.executePython(code, values.json ? {} : streamAround(spinner));
  } finally {
    spinner.stop();
  }
  if (values.json) {
    process.stdout.write(`${resultJson(result)}\n`);
  } else {
    printSummary(result, { timeoutAdvice: 'To allow more time: --timeout SECONDS.' });
  }
  if (reportPath !== undefined) {
    const bytes = await writeReport(reportPath, result, {
      code,
      title: `sandplot run ${source === '-' ? '(standard input)' : source}`,
      // The URLs come from the sink this command just configured: fetching them makes the
      // report self-contained for S3 too.
      remoteFigures: 'inline',
    });
    if (!values.json) process.stdout.write(`${reportLine(reportPath, bytes)}\n`);
  }
  return result.isError ? 1 : 0;
}

// A problem reason the code forged can be long: the terminal gets its start.
const MAX_REASON_CHARS = 500;

/**
 * Figure lines on stdout; problems and errors the code did not print itself on stderr. Every line
 * is the command's own: what the code controls in it (titles, reasons, messages) is one line
 * without control characters or escape sequences.
 */
export function printSummary(
  result: ExecutionResult,
  options: { timeoutAdvice?: string } = {},
): void {
  for (const figure of result.figures) process.stdout.write(`${figureLine(figure)}\n`);
  for (const file of result.files) process.stdout.write(`${fileLine(file)}\n`);
  for (const problem of result.problems) {
    const which =
      problem.path !== undefined
        ? `file ${JSON.stringify(clipLine(problem.path, 200))}`
        : problem.index === undefined
          ? 'a figure'
          : `figure ${problem.index + 1}`;
    const sink = problem.sink ? `, ${clipLine(problem.sink, 60)}` : '';
    process.stderr.write(
      `${terminalLine(`sandplot: ${which} was not delivered (${problem.stage}${sink}): ${clipLine(problem.reason, MAX_REASON_CHARS)}`)}\n`,
    );
  }
  if (
    result.error &&
    (result.error.name === 'TimeoutError' || result.error.name === 'SandboxCrashed')
  ) {
    // The error's `hint` names the library's option; a person at the command line has a flag.
    const advice =
      result.error.name === 'TimeoutError' && options.timeoutAdvice
        ? ` ${options.timeoutAdvice}`
        : '';
    process.stderr.write(
      `${terminalLine(`sandplot: ${result.error.name}: ${clipLine(result.error.value, MAX_REASON_CHARS)}${advice}`)}\n`,
    );
  }
}

/**
 * The result as JSON. JSON escapes C0 controls by itself; DEL, C1 controls and the bidirectional
 * overrides it leaves raw are escaped too (`\\u009b`), so the output is safe on a terminal and
 * parses to the same value.
 */
export function resultJson(result: ExecutionResult): string {
  return JSON.stringify(result, jsonReplacer, 2).replace(
    /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A figure's or file's bytes are already in its data: URL; printing them twice helps nobody. */
function jsonReplacer(key: string, value: unknown): unknown {
  if (key === 'data' && value instanceof Uint8Array) return undefined;
  return value;
}
