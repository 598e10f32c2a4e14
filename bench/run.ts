import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { benchAgentCore } from './agentcore.bench.js';
import { benchFiles } from './files.bench.js';
import { benchLocalBackend } from './local-backend.bench.js';
import { benchParseMarkers } from './parse-markers.bench.js';
import { benchPool } from './pool.bench.js';
import { benchPoolScaling } from './pool-scaling.bench.js';
import type { BenchReport } from './report.js';
import { benchS3Sink } from './s3-sink.bench.js';
import { benchSandbox } from './sandbox.bench.js';

const reports: BenchReport[] = [];
reports.push(...(await benchSandbox()));
reports.push(await benchFiles());
reports.push(await benchLocalBackend());
reports.push(await benchAgentCore());
reports.push(await benchS3Sink());
reports.push(await benchPool());
reports.push(await benchPoolScaling());
reports.push(await benchParseMarkers());

const heading = `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length}× ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}. Each ratio compares against a baseline measured in the same run.`;
const body = reports
  .map((report) => `## ${report.name}\n\n${report.lines.join('\n')}\n`)
  .join('\n');
const markdown = `# Benchmarks\n\n\`npm run bench\` runs these and rewrites this file.\n\n${heading}\n\n${body}`;
await writeFile(new URL('../docs/benchmarks.md', import.meta.url), markdown);
process.stdout.write(`${markdown}\n`);
if (reports.some((report) => !report.ok)) {
  process.stderr.write('bench: some targets were missed (FAIL lines above).\n');
  process.exitCode = 1;
}
