import { randomBytes } from 'node:crypto';
import { access, constants, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { ConfigError, errorMessage } from '../errors/index.js';
import { terminalLine } from '../internal/terminal-safe.js';
import { type HtmlReportOptions, renderHtmlReport } from '../report/html-report.js';
import type { ExecutionResult } from '../types/index.js';

/** The command-line option that asks for an HTML report, shared by `run` and `demo`. */
export const htmlArgumentOptions = {
  html: { type: 'string' },
} as const;

export const htmlUsage = `  --html FILE                also write a self-contained HTML report: code, output,
                             error, every figure inline with its chart data`;

/**
 * Checks before the code runs that the report can be written, so a typo in the path does not
 * cost a whole run. Returns the absolute path.
 */
export async function checkReportPath(file: string): Promise<string> {
  if (file.trim() === '')
    throw new ConfigError('--html takes a file name, for example report.html.');
  const path = resolve(file);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new ConfigError(
      `--html ${JSON.stringify(file)} is a folder: name a file, such as report.html.`,
    );
  }
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw new ConfigError(
      `--html ${JSON.stringify(file)} cannot be written: ${errorMessage(error)}. Check that the folder exists and is writable.`,
      { cause: error },
    );
  }
  return path;
}

/**
 * Renders the report and writes it under a temporary name in the same folder, then renames it,
 * so the file is either the whole report or untouched. Returns its size in bytes.
 */
export async function writeReport(
  path: string,
  result: ExecutionResult,
  options: HtmlReportOptions,
): Promise<number> {
  const html = Buffer.from(await renderHtmlReport(result, options), 'utf8');
  const temporary = resolve(dirname(path), `.${randomBytes(6).toString('hex')}.report.tmp`);
  try {
    await writeFile(temporary, html, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw new ConfigError(
      `--html could not write ${path}: ${errorMessage(error)}. Check that the folder exists and is writable.`,
      { cause: error },
    );
  }
  return html.byteLength;
}

/** The line the commands print for a written report. */
export function reportLine(path: string, bytes: number): string {
  return terminalLine(
    `report: ${relative(process.cwd(), path) || path}  ${bytes.toLocaleString('en-US')} bytes`,
  );
}
