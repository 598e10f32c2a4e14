import { performance } from 'node:perf_hooks';
// The built package, as users get it.
import {
  CodeSandbox,
  createSandboxPool,
  type ExecutionResult,
  type SandboxBackend,
} from 'sandplot';
import { type AgentCoreEmulator, startAgentCoreEmulator } from 'sandplot/testing';
import { emulatorBackend } from './emulator-backend.js';
import { type BenchReport, target } from './report.js';

/** Conversations of the pooled and fan-out runs (3 calls each). */
const CONVERSATIONS = 200;
/** Conversations of the naive loop: a sandbox per call is slow, so it runs a slice of the load. */
const NAIVE_CONVERSATIONS = 20;
const CALLS = ['conversation = "{id}"', 'print(conversation)', 'print(conversation, end="")'];

interface RunOutcome {
  label: string;
  calls: number;
  succeeded: number;
  failed: number;
  /** Calls that answered with the wrong conversation's value or lost it without saying so. */
  wrongState: number;
  wallMs: number;
  emulatorThrottled: number;
  sessionsStarted: number;
  sessionsLeaked: number;
}

async function withEmulator(
  run: (
    backend: SandboxBackend,
  ) => Promise<Omit<RunOutcome, 'emulatorThrottled' | 'sessionsStarted' | 'sessionsLeaked'>>,
): Promise<RunOutcome> {
  // AgentCore's quota: 30 requests per second per operation. The sessions are plain Python
  // processes (no sandbox, nothing preloaded) so that hundreds of them start quickly.
  const emulator: AgentCoreEmulator = await startAgentCoreEmulator({
    sessionInterpreter: 'plain-python',
    requestsPerSecond: 30,
    maxActiveSessions: 250,
  });
  try {
    const backend = emulatorBackend(emulator.endpoint);
    const outcome = await run(backend);
    return {
      ...outcome,
      emulatorThrottled: emulator.stats.throttled,
      sessionsStarted: emulator.stats.started,
      sessionsLeaked: emulator.stats.active,
    };
  } finally {
    await emulator.close();
  }
}

/**
 * Whether a result is right: the first call stores the id; later ones print it, or fail saying the
 * state is gone (`sessionRestarted`, or an earlier call of the conversation already threw).
 */
function check(id: string, step: number, result: ExecutionResult, earlierFailed: boolean): boolean {
  if (step === 0) return !result.isError;
  if (result.isError) return result.sessionRestarted === true || earlierFailed;
  return result.stdout.trim() === id;
}

function tally(results: PromiseSettledResult<boolean>[]) {
  let succeeded = 0;
  let failed = 0;
  let wrongState = 0;
  for (const result of results) {
    if (result.status === 'rejected') failed++;
    else {
      succeeded++;
      if (!result.value) wrongState++;
    }
  }
  return { succeeded, failed, wrongState };
}

/** 200 conversations × 3 calls through createSandboxPool (16 sessions, default 25/s limits). */
/** One conversation's calls in order, each checked for the state it should see. */
async function runConversation(
  id: string,
  execute: (code: string) => Promise<ExecutionResult>,
): Promise<PromiseSettledResult<boolean>[]> {
  const outcomes: PromiseSettledResult<boolean>[] = [];
  for (const [step, code] of CALLS.entries()) {
    try {
      const result = await execute(code.replace('{id}', id));
      const earlierFailed = outcomes.some((outcome) => outcome.status === 'rejected');
      outcomes.push({ status: 'fulfilled', value: check(id, step, result, earlierFailed) });
    } catch (error) {
      outcomes.push({ status: 'rejected', reason: error });
    }
  }
  return outcomes;
}

/** 200 conversations × 3 calls through createSandboxPool (16 sessions, default 25/s limiters). */
function pooled(): Promise<RunOutcome> {
  return withEmulator(async (backend) => {
    const pool = createSandboxPool({ backend, maxSessions: 16, evictionGraceMs: 50 });
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: CONVERSATIONS }, async (_, index) => {
        const id = `conversation-${index}`;
        return runConversation(id, (code) => pool.executePython(id, code));
      }),
    );
    const wallMs = performance.now() - started;
    await pool.closeAll();
    const flat = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    return {
      label: `pool (maxSessions 16, 25/s limiters): ${CONVERSATIONS} conversations × 3 calls`,
      calls: CONVERSATIONS * 3,
      wallMs,
      ...tally(flat),
    };
  });
}

/** Each call in a new CodeSandbox, one after another: start, run, stop. State cannot persist. */
function naive(): Promise<RunOutcome> {
  return withEmulator(async (backend) => {
    const started = performance.now();
    const outcomes: PromiseSettledResult<boolean>[] = [];
    for (let index = 0; index < NAIVE_CONVERSATIONS; index++) {
      const id = `conversation-${index}`;
      for (const [step, code] of CALLS.entries()) {
        const sandbox = new CodeSandbox({ backend });
        try {
          const result = await sandbox.executePython(code.replace('{id}', id));
          // A fresh sandbox never has the variable, and says nothing about it: wrong state.
          outcomes.push({
            status: 'fulfilled',
            value: step === 0 ? !result.isError : result.stdout.trim() === id,
          });
        } catch (error) {
          outcomes.push({ status: 'rejected', reason: error });
        } finally {
          await sandbox.close().catch(() => undefined);
        }
      }
    }
    return {
      label: `naive loop, a new sandbox per call: ${NAIVE_CONVERSATIONS} conversations × 3 calls (scaled down)`,
      calls: NAIVE_CONVERSATIONS * 3,
      wallMs: performance.now() - started,
      ...tally(outcomes),
    };
  });
}

/** A CodeSandbox per conversation, all at once, no limits: the quota answers ThrottlingException. */
function fanOut(): Promise<RunOutcome> {
  return withEmulator(async (backend) => {
    const started = performance.now();
    const sandboxes: CodeSandbox[] = [];
    const results = await Promise.all(
      Array.from({ length: CONVERSATIONS }, async (_, index) => {
        const id = `conversation-${index}`;
        const sandbox = new CodeSandbox({ backend });
        sandboxes.push(sandbox);
        return runConversation(id, (code) => sandbox.executePython(code));
      }),
    );
    const wallMs = performance.now() - started;
    await Promise.allSettled(sandboxes.map((sandbox) => sandbox.close()));
    return {
      label: `unlimited fan-out, a sandbox per conversation: ${CONVERSATIONS} conversations × 3 calls`,
      calls: CONVERSATIONS * 3,
      wallMs,
      ...tally(results.flat()),
    };
  });
}

function describe(outcome: RunOutcome): string {
  const rate = outcome.succeeded / (outcome.wallMs / 1000);
  return `- ${outcome.label}: ${(outcome.wallMs / 1000).toFixed(1)} s, ${rate.toFixed(1)} successful calls/s; ${outcome.failed} of ${outcome.calls} calls failed, ${outcome.wrongState} lost their state silently; the emulator answered ThrottlingException ${outcome.emulatorThrottled} times; ${outcome.sessionsStarted} sessions started, ${outcome.sessionsLeaked} left running.`;
}

/**
 * Throughput of a multi-conversation load against the emulator's AgentCore quota (30 requests per
 * second per operation): createSandboxPool vs a naive sandbox-per-call loop vs an unlimited fan-out.
 */
export async function benchPool(): Promise<BenchReport> {
  const pool = await pooled();
  const loop = await naive();
  const burst = await fanOut();
  const poolClean = pool.failed === 0 && pool.wrongState === 0 && pool.sessionsLeaked === 0;
  return {
    name: 'Sandbox pool under the AgentCore quota (emulator)',
    ok: poolClean,
    lines: [
      `One emulator per run, limited like the service to 30 requests/s per operation; each session is a plain Python process. Calls are tiny (\`conversation = "…"\`, then \`print(conversation)\` twice), so the numbers measure session and quota handling, not Python.`,
      '',
      describe(pool),
      describe(loop),
      describe(burst),
      '',
      target(
        'pool: no call fails, no conversation loses or sees another state silently, no session left running',
        poolClean,
        `${pool.failed} failed, ${pool.wrongState} wrong state, ${pool.sessionsLeaked} left running`,
      ),
    ],
  };
}
