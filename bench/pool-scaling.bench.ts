import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// The built package, as users get it.
import { createSandboxPool, localBackend, type SandboxBackend } from 'sandplot';
import { startAgentCoreEmulator } from 'sandplot/testing';
import { startRedisServer } from '../test/support/redis-server.js';
import { emulatorBackend } from './emulator-backend.js';
import { type BenchReport, formatMs, median, target } from './report.js';

const NEW_CONVERSATIONS = 7;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * The first call of a new conversation: on a pool without warm sessions (the session starts
 * first) and on one with `warmSessions: 1` (waiting for the warm session before each
 * conversation, as a pool between requests would), and a warm call for reference.
 */
async function firstCalls(backend: SandboxBackend) {
  // Limits out of the way: this measures sessions, not the spacing of calls.
  const rateLimits = {
    sessionStartsPerSecond: 1000,
    invocationsPerSecond: 1000,
    sessionStopsPerSecond: 1000,
  };
  const cold = createSandboxPool({ backend, rateLimits });
  const coldTimes: number[] = [];
  for (let index = 0; index < NEW_CONVERSATIONS; index++) {
    const started = performance.now();
    await cold.executePython(`cold-${index}`, 'print(1)');
    coldTimes.push(performance.now() - started);
  }
  const warmCallTimes: number[] = [];
  for (let index = 0; index < NEW_CONVERSATIONS; index++) {
    const started = performance.now();
    await cold.executePython('cold-0', 'print(1)');
    warmCallTimes.push(performance.now() - started);
  }
  await cold.closeAll();

  const warm = createSandboxPool({ backend, rateLimits, warmSessions: 1 });
  const warmTimes: number[] = [];
  for (let index = 0; index < NEW_CONVERSATIONS; index++) {
    await until(() => warm.stats().warm === 1);
    const started = performance.now();
    await warm.executePython(`warm-${index}`, 'print(1)');
    warmTimes.push(performance.now() - started);
  }
  await warm.closeAll();
  return { cold: median(coldTimes), warm: median(warmTimes), warmCall: median(warmCallTimes) };
}

interface Worker {
  child: ChildProcess;
  done: Promise<{ calls: number; failed: number; wallMs: number }>;
  ready: Promise<void>;
}

function startWorker(settings: Record<string, unknown>): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./pool-worker.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POOL_WORKER: JSON.stringify(settings),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let buffered = '';
  let onReady: () => void = () => {};
  let onDone: (value: { calls: number; failed: number; wallMs: number }) => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const done = new Promise<{ calls: number; failed: number; wallMs: number }>((resolve, reject) => {
    onDone = resolve;
    child.once('exit', (code) => reject(new Error(`a pool worker exited (${code})`)));
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const message = JSON.parse(buffered.slice(0, end)) as Record<string, unknown>;
      buffered = buffered.slice(end + 1);
      if (message.event === 'ready') onReady();
      if (message.event === 'done') {
        onDone(message as unknown as { calls: number; failed: number; wallMs: number });
      }
    }
  });
  return { child, ready, done };
}

/** Calls per second of `count` worker processes started together, each with half of the load. */
async function throughput(
  count: number,
  settings: { endpoint: string; redisUrl?: string; ratePerSecond: number },
) {
  const calls = 60;
  const workers = Array.from({ length: count }, (_, index) =>
    startWorker({
      ...settings,
      conversations: 6 / count,
      calls: calls / 6,
      prefix: `w${count}-${index}`,
    }),
  );
  await Promise.all(workers.map((worker) => worker.ready));
  const started = performance.now();
  for (const worker of workers) worker.child.stdin?.write('go\n');
  const outcomes = await Promise.all(workers.map((worker) => worker.done));
  const wallMs = Math.max(...outcomes.map((outcome) => outcome.wallMs));
  const failed = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0);
  return { perSecond: calls / (wallMs / 1000), failed, totalMs: performance.now() - started };
}

/**
 * Pools past one process: warm sessions against a session start on a new conversation's first
 * call, and two processes sharing rate limits through Redis against one process alone.
 */
export async function benchPoolScaling(): Promise<BenchReport> {
  const local = await firstCalls(localBackend());
  const emulator = await startAgentCoreEmulator();
  const redis = await startRedisServer();
  try {
    const onEmulator = await firstCalls(emulatorBackend(emulator.endpoint));
    const limits = await startAgentCoreEmulator({
      sessionInterpreter: 'plain-python',
      requestsPerSecond: 30,
    });
    const ratePerSecond = 10;
    const one = await throughput(1, { endpoint: limits.endpoint, ratePerSecond });
    const two = await throughput(2, {
      endpoint: limits.endpoint,
      redisUrl: redis.url,
      ratePerSecond,
    });
    const throttled = limits.stats.throttled;
    await limits.close();
    const warmHolds = (result: typeof local) => result.warm <= result.cold / 10;
    const limitHolds = (perSecond: number) =>
      Math.abs(perSecond - ratePerSecond) <= ratePerSecond * 0.1;
    const describeFirst = (label: string, result: typeof local) =>
      `- ${label}: first call of a new conversation ${formatMs(result.cold)} without warm sessions, ${formatMs(result.warm)} with \`warmSessions: 1\` (${(result.cold / result.warm).toFixed(1)}× faster); a call in a running session ${formatMs(result.warmCall)}.`;
    return {
      name: 'Sandbox pools past one process: warm sessions and shared limits',
      ok:
        warmHolds(local) && warmHolds(onEmulator) && limitHolds(two.perSecond) && two.failed === 0,
      lines: [
        `Medians of ${NEW_CONVERSATIONS} new conversations each running \`print(1)\` as its first call. With warm sessions the pool waits until its warm session is ready before each conversation, as between requests.`,
        '',
        describeFirst('local backend (bubblewrap)', local),
        describeFirst('AgentCore emulator (sandboxed local sessions)', onEmulator),
        `- 60 calls (6 conversations × 10, in sessions started before) limited to ${ratePerSecond} invocations/s: one process ${one.perSecond.toFixed(1)} calls/s; two processes sharing the limit through Redis ${two.perSecond.toFixed(1)} calls/s together (${one.failed + two.failed} failed, the emulator throttled ${throttled} requests).`,
        '',
        target(
          'warm first call ≤ 1/10 of the cold first call, local backend',
          warmHolds(local),
          `${formatMs(local.warm)} vs ${formatMs(local.cold)}`,
        ),
        target(
          'warm first call ≤ 1/10 of the cold first call, AgentCore emulator',
          warmHolds(onEmulator),
          `${formatMs(onEmulator.warm)} vs ${formatMs(onEmulator.cold)}`,
        ),
        target(
          `two processes sharing limits stay at the limit (${ratePerSecond}/s ± 10%)`,
          limitHolds(two.perSecond) && two.failed === 0,
          `${two.perSecond.toFixed(1)} calls/s (one process: ${one.perSecond.toFixed(1)})`,
        ),
      ],
    };
  } finally {
    await emulator.close();
    await redis.close();
  }
}
