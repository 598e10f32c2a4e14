import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import type { SandboxBackend } from '../../src/backends/types.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import {
  type AgentCoreEmulator,
  startAgentCoreEmulator,
} from '../../src/testing/agentcore-emulator.js';
import type { ExecutionResult } from '../../src/types/index.js';
import { emulatorBackend } from '../support/agentcore-clients.js';
import { recordCase } from './support/case-ledger.js';
import { countingBackend } from './support/counting-backend.js';

const SANDBOXES = 8;
const CALLS_PER_SANDBOX = 25;
const EXECUTIONS = SANDBOXES * CALLS_PER_SANDBOX;
const TAG_PATTERN = /load-s\d+-c\d+-[0-9a-f]{8}/g;

/** One execution of the load: what it was asked to print and what came back. */
interface Call {
  sandbox: number;
  call: number;
  tag: string;
  latencyMs: number;
  result?: ExecutionResult;
  failure?: string;
}

/** What a load run measured. */
interface LoadReport {
  calls: Call[];
  wallMs: number;
  failures: number;
  crossed: number;
  wrongOutputs: number;
  figures: number;
  wrongFigures: number;
  sessionIds: Set<string>;
}

// Each call prints its own tag and the count of calls its session has seen: a call that landed
// in another sandbox's session prints another count, even if the tags were not mixed up.
function callCode(tag: string): string {
  return [
    'import matplotlib.pyplot as plt',
    "calls_seen = globals().get('calls_seen', 0) + 1",
    `tag = ${JSON.stringify(tag)}`,
    'print(tag, calls_seen)',
    'plt.figure(figsize=(1.5, 1))',
    'plt.plot([0, calls_seen, 0])',
    'plt.title(tag)',
  ].join('\n');
}

async function runSandbox(sandbox: CodeSandbox, index: number, calls: Call[]): Promise<void> {
  for (let call = 0; call < CALLS_PER_SANDBOX; call++) {
    const tag = `load-s${index}-c${call}-${randomBytes(4).toString('hex')}`;
    const entry: Call = { sandbox: index, call, tag, latencyMs: 0 };
    calls.push(entry);
    const started = performance.now();
    try {
      entry.result = await sandbox.executePython(callCode(tag), { timeoutMs: 60_000 });
    } catch (error) {
      entry.failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    entry.latencyMs = performance.now() - started;
  }
}

/** 8 sandboxes on `backend`, 25 calls each, the sandboxes side by side; then all closed. */
async function runLoad(backend: SandboxBackend): Promise<LoadReport> {
  const sandboxes = Array.from(
    { length: SANDBOXES },
    () => new CodeSandbox({ backend, capture: { dpi: 40 } }),
  );
  const calls: Call[] = [];
  const sessionIds = new Set<string>();
  const started = performance.now();
  try {
    await Promise.all(sandboxes.map((sandbox, index) => runSandbox(sandbox, index, calls)));
  } finally {
    for (const sandbox of sandboxes) if (sandbox.sessionId) sessionIds.add(sandbox.sessionId);
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  }
  const wallMs = performance.now() - started;
  let failures = 0;
  let crossed = 0;
  let wrongOutputs = 0;
  let figures = 0;
  let wrongFigures = 0;
  for (const call of calls) {
    const result = call.result;
    if (result === undefined || result.isError) {
      failures++;
      continue;
    }
    const tags = result.stdout.match(TAG_PATTERN) ?? [];
    if (tags.some((tag) => tag !== call.tag)) crossed++;
    if (result.stdout !== `${call.tag} ${call.call + 1}\n`) wrongOutputs++;
    figures += result.figures.length;
    const figure = result.figures[0];
    if (result.figures.length !== 1 || figure?.title !== call.tag || !figure.data?.length) {
      wrongFigures++;
    }
  }
  return { calls, wallMs, failures, crossed, wrongOutputs, figures, wrongFigures, sessionIds };
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
}

/** "200/200 executions, 0 crossed, ..." with the measured numbers. */
function describeLoad(report: LoadReport, sessions: string): string {
  const latencies = report.calls.map((call) => call.latencyMs);
  const seconds = report.wallMs / 1000;
  const ok = report.calls.length - report.failures;
  return (
    `${ok}/${EXECUTIONS} executions, ${report.crossed} crossed, ${report.wrongOutputs} wrong outputs, ` +
    `${report.figures} figures (${report.wrongFigures} wrong), ${sessions}, ${seconds.toFixed(1)} s, ` +
    `${(report.calls.length / seconds).toFixed(1)} calls/s, p50 ${(percentile(latencies, 0.5) / 1000).toFixed(2)} s, ` +
    `p95 ${(percentile(latencies, 0.95) / 1000).toFixed(2)} s`
  );
}

function firstFailures(report: LoadReport): string[] {
  return report.calls
    .filter((call) => call.failure !== undefined || call.result?.isError)
    .slice(0, 3)
    .map((call) => `${call.tag}: ${call.failure ?? JSON.stringify(call.result?.error)}`);
}

/** Calls that failed, crossed into another session, or printed or plotted the wrong thing. */
function lostCalls(report: LoadReport): number {
  return report.failures + report.crossed + report.wrongOutputs + report.wrongFigures;
}

/** Every call ran in its own sandbox's session and printed and plotted its own tag. */
function expectCleanLoad(report: LoadReport): void {
  expect(firstFailures(report)).toEqual([]);
  expect(report.calls).toHaveLength(EXECUTIONS);
  expect(report.crossed).toBe(0);
  expect(report.wrongOutputs).toBe(0);
  expect(report.wrongFigures).toBe(0);
  expect(report.figures).toBe(EXECUTIONS);
  expect(report.sessionIds.size).toBe(SANDBOXES);
}

describe('load', () => {
  let emulator: AgentCoreEmulator | undefined;

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('8 concurrent CodeSandboxes × 25 executions on the AgentCore emulator: nothing fails, crosses or leaks', async () => {
    emulator = await startAgentCoreEmulator();
    const report = await runLoad(emulatorBackend(emulator));
    const { started, stopped, active } = emulator.stats;
    const lost = lostCalls(report);
    const outcome = describeLoad(
      report,
      `${started} started = ${stopped} stopped, ${active} active`,
    );
    recordCase({
      group: 'load',
      name: '8 concurrent CodeSandboxes × 25 executions on the AgentCore emulator (local sandboxed sessions), each printing its tag and plotting',
      tried: report.calls.length,
      survived: report.calls.length - report.failures,
      lost: lost + Math.abs(started - stopped),
      outcome,
    });
    console.log(`load, AgentCore emulator: ${outcome}`);
    expectCleanLoad(report);
    expect(started).toBe(SANDBOXES);
    expect(stopped).toBe(started);
    expect(active).toBe(0);
  }, 240_000);

  it('8 concurrent CodeSandboxes × 25 executions on the local backend: nothing fails, crosses or leaks', async () => {
    const backend = countingBackend(localBackend());
    const report = await runLoad(backend);
    const lost = lostCalls(report);
    const outcome = describeLoad(
      report,
      `${backend.started} sessions started = ${backend.stopped} closed`,
    );
    recordCase({
      group: 'load',
      name: '8 concurrent CodeSandboxes × 25 executions on the local backend, each printing its tag and plotting',
      tried: report.calls.length,
      survived: report.calls.length - report.failures,
      lost: lost + Math.abs(backend.started - backend.stopped),
      outcome,
    });
    console.log(`load, local backend: ${outcome}`);
    expectCleanLoad(report);
    expect(backend.started).toBe(SANDBOXES);
    expect(backend.stopped).toBe(backend.started);
  }, 240_000);
});
