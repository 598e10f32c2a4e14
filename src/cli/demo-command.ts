import { parseArgs } from 'node:util';
import { localBackend } from '../backends/local.js';
import { ConfigError } from '../errors.js';
import { CodeSandbox } from '../sandbox/code-sandbox.js';
import { localDirSink } from '../sinks/local-dir.js';
import { printSummary } from './run-command.js';
import { salesAnalysisCode, salesSeries } from './sales-analysis.js';
import { startSpinner } from './spinner.js';

export const demoUsage = `Usage: sandplot demo [--out DIR] [--isolation auto|bwrap|none]

Runs the reference sales analysis in a local sandbox: prints the growth rates and writes the
figures as PNG files (default folder: ./figures).`;

/** `sandplot demo`: returns the process exit code. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'figures' },
      isolation: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${demoUsage}\n`);
    return 0;
  }
  const isolation = values.isolation;
  if (isolation !== 'auto' && isolation !== 'bwrap' && isolation !== 'none') {
    throw new ConfigError(
      `--isolation must be auto, bwrap or none, not ${JSON.stringify(isolation)}.`,
    );
  }
  await using sandbox = new CodeSandbox({
    backend: localBackend({ isolation }),
    imageSink: localDirSink({ dir: values.out }),
  });
  process.stdout.write('sandplot demo: sales analysis in a local Python sandbox\n\n');
  const spinner = startSpinner(process.stderr, 'starting the sandbox and running the analysis');
  let result: Awaited<ReturnType<CodeSandbox['executePython']>>;
  try {
    await sandbox.writeFiles([{ path: 'sales.json', content: JSON.stringify(salesSeries) }]);
    result = await sandbox.executePython(salesAnalysisCode, {
      onStdout: (chunk) => {
        spinner.clear();
        process.stdout.write(chunk);
      },
      onStderr: (chunk) => {
        spinner.clear();
        process.stderr.write(chunk);
      },
    });
  } finally {
    spinner.stop();
  }
  process.stdout.write(
    `\n${result.figures.length} figure(s) in ${Math.round(result.durationMs)} ms:\n`,
  );
  printSummary(result);
  return result.isError || result.figures.length === 0 ? 1 : 0;
}
