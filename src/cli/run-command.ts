import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { ConfigError, InvalidInputError } from '../errors/index.js';
import { CodeSandbox } from '../sandbox/code-sandbox.js';
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
  const backend = await backendFromOptions(values);
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
  const reportPath = values.html === undefined ? undefined : await checkReportPath(values.html);
  const code = source === '-' ? await text(process.stdin) : await readFile(source, 'utf8');
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
    process.stdout.write(`${JSON.stringify(result, jsonReplacer, 2)}\n`);
  } else {
    printSummary(result);
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

/** Figure lines on stdout; problems and errors the code did not print itself on stderr. */
export function printSummary(result: ExecutionResult): void {
  for (const figure of result.figures) process.stdout.write(`${figureLine(figure)}\n`);
  for (const file of result.files) process.stdout.write(`${fileLine(file)}\n`);
  for (const problem of result.problems) {
    const which =
      problem.path !== undefined
        ? `file ${JSON.stringify(problem.path)}`
        : problem.index === undefined
          ? 'a figure'
          : `figure ${problem.index + 1}`;
    process.stderr.write(
      `sandplot: ${which} was not delivered (${problem.stage}${problem.sink ? `, ${problem.sink}` : ''}): ${problem.reason}\n`,
    );
  }
  if (
    result.error &&
    (result.error.name === 'TimeoutError' || result.error.name === 'SandboxCrashed')
  ) {
    process.stderr.write(`sandplot: ${result.error.name}: ${result.error.value}\n`);
  }
}

/** A figure's or file's bytes are already in its data: URL; printing them twice helps nobody. */
function jsonReplacer(key: string, value: unknown): unknown {
  if (key === 'data' && value instanceof Uint8Array) return undefined;
  return value;
}
