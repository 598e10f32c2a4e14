import { performance } from 'node:perf_hooks';
// The built package, as users get it.
import { CodeSandbox, localBackend } from 'sandplot';
import { type BenchReport, formatMs, median, target } from './report.js';

const MAKE_FILES =
  'import os\nos.makedirs("data", exist_ok=True)\nfor i in range(1000):\n    open(f"data/{i:04d}.csv", "w").write("a,b\\n1,2\\n")';

/**
 * What noticing the files a call wrote costs: a warm `x = 1` in a working directory of 1,000
 * files, with output files collected and without, interleaved in one run.
 */
export async function benchFiles(): Promise<BenchReport> {
  await using withFiles = new CodeSandbox({ backend: localBackend() });
  await using without = new CodeSandbox({
    backend: localBackend(),
    outputFiles: { enabled: false },
  });
  for (const sandbox of [withFiles, without]) await sandbox.executePython(MAKE_FILES);
  const time = async (sandbox: CodeSandbox) => {
    const started = performance.now();
    await sandbox.executePython('x = 1');
    return performance.now() - started;
  };
  for (let i = 0; i < 30; i++) {
    await time(withFiles);
    await time(without);
  }
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < 300; i++) {
    on.push(await time(withFiles));
    off.push(await time(without));
  }
  const cost = median(on) - median(off);
  return {
    name: 'Files written: the cost of noticing them',
    ok: cost <= 2,
    lines: [
      `Medians of 300 interleaved warm \`x = 1\` calls with 1,000 files in the working directory: output files collected ${formatMs(median(on))}, not collected ${formatMs(median(off))} (inotify in the sandbox; the first call scans the tree once).`,
      target('≤ 2 ms per execution for 1,000 files', cost <= 2, formatMs(cost)),
    ],
  };
}
