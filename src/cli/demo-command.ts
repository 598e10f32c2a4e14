import { parseArgs } from 'node:util';
import { CodeSandbox } from '../sandbox/code-sandbox.js';
import { localDirSink } from '../sinks/local-dir.js';
import { backendArgumentOptions, backendFromOptions, backendUsage } from './backend-option.js';
import {
  checkReportPath,
  htmlArgumentOptions,
  htmlUsage,
  reportLine,
  writeReport,
} from './html-option.js';
import { printSummary } from './run-command.js';
import { salesAnalysisCode, salesSeries } from './sales-analysis.js';
import { startSpinner, streamAround } from './spinner.js';

export const demoUsage = `Usage: sandplot demo [--out DIR] [--html FILE] [backend options]

Runs the reference sales analysis in a sandbox: prints the growth rates and writes the figures
as PNG files (default folder: ./figures).

${htmlUsage}
${backendUsage}`;

/** `sandplot demo`: returns the process exit code. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'figures' },
      ...htmlArgumentOptions,
      ...backendArgumentOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${demoUsage}\n`);
    return 0;
  }
  const reportPath = values.html === undefined ? undefined : await checkReportPath(values.html);
  const backend = await backendFromOptions(values);
  await using sandbox = new CodeSandbox({
    backend,
    imageSink: localDirSink({ dir: values.out }),
  });
  process.stdout.write(
    `sandplot demo: sales analysis in a Python sandbox (${backend.name} backend)\n\n`,
  );
  const spinner = startSpinner(process.stderr, 'starting the sandbox and running the analysis');
  let result: Awaited<ReturnType<CodeSandbox['executePython']>>;
  try {
    await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(salesSeries) }]);
    result = await sandbox.executePython(salesAnalysisCode, streamAround(spinner));
  } finally {
    spinner.stop();
  }
  process.stdout.write(
    `\n${result.figures.length} figure(s) in ${Math.round(result.durationMs)} ms:\n`,
  );
  printSummary(result);
  if (reportPath !== undefined) {
    const bytes = await writeReport(reportPath, result, {
      code: salesAnalysisCode,
      title: 'sandplot demo: sales analysis',
    });
    process.stdout.write(`${reportLine(reportPath, bytes)}\n`);
  }
  return result.isError || result.figures.length === 0 ? 1 : 0;
}
