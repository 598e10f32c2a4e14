import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandplotError } from '../../src/errors/index.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { type AgentCoreEmulator, startAgentCoreEmulator } from '../../src/testing.js';
import type { ExecutionResult } from '../../src/types/index.js';
import { emulatorBackend } from '../support/agentcore-clients.js';
import { recordCase } from './support/case-ledger.js';
import {
  leakedSessions,
  plotCode,
  storedFigures,
  undeliveredFigures,
} from './support/figure-count.js';

// Faults of the AgentCore service, injected by the emulator (real SDK client, real wire protocol;
// each emulated session runs in the local sandbox, so figures are real matplotlib PNGs).

/** A call's outcome: its result, or the SandplotError it threw. */
async function attempt(
  sandbox: CodeSandbox,
  code: string,
  options: { timeoutMs?: number } = {},
): Promise<ExecutionResult | SandplotError> {
  try {
    return await sandbox.executePython(code, options);
  } catch (error) {
    if (SandplotError.isInstance(error)) return error;
    throw error;
  }
}

function isResult(outcome: ExecutionResult | SandplotError): outcome is ExecutionResult {
  return !SandplotError.isInstance(outcome);
}

/** Lost figures of a call that made one: its undelivered figure, or the figure when it threw. */
function lostFigure(outcome: ExecutionResult | SandplotError): number {
  return isResult(outcome) ? undeliveredFigures(outcome, 1) : 1;
}

/** "BACKEND_FAILED retryable": an error's code, and whether it may be retried. */
function errorKind(error: SandplotError): string {
  return `${error.code}${error.isRetryable ? ' retryable' : ''}`;
}

/**
 * `tries` calls on one sandbox, each after `inject(round)` armed a fault the backend retries:
 * a call survives when it stored its figure without an error; a figure is lost when a result
 * does not account for it, or a session outlives the sandbox.
 */
async function retriedRounds(
  emulator: AgentCoreEmulator,
  tries: number,
  label: string,
  inject: (round: number) => void,
): Promise<{ survived: number; lost: number }> {
  let survived = 0;
  let lost = 0;
  {
    await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
    for (let round = 0; round < tries; round++) {
      inject(round);
      const outcome = await attempt(sandbox, plotCode(`${label}-${round}`));
      if (isResult(outcome)) {
        lost += undeliveredFigures(outcome, 1);
        if (!outcome.isError && storedFigures(outcome, 1) === 1) survived++;
      }
    }
  }
  emulator.faults.reset();
  lost += leakedSessions(emulator);
  return { survived, lost };
}

describe('faults: AgentCore', () => {
  let emulator: AgentCoreEmulator;
  beforeAll(async () => {
    emulator = await startAgentCoreEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('throttling bursts (429) within maxRetries are retried', async () => {
    const tries = 15;
    let retriesSeen = 0;
    const { survived, lost } = await retriedRounds(emulator, tries, 'throttled', (round) => {
      const burst = 1 + (round % 3);
      retriesSeen += burst;
      emulator.faults.throttle(burst);
    });
    recordCase({
      group: 'fault',
      name: 'AgentCore throttling bursts of 1-3 (HTTP 429) per call',
      tried: tries,
      survived,
      lost,
      outcome: `retried with backoff (${retriesSeen} 429s answered); every figure stored`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('throttling past maxRetries fails with a retryable BACKEND_FAILED, and the next call works', async () => {
    const tries = 6;
    let survived = 0;
    let lost = 0;
    const codes = new Set<string>();
    {
      await using sandbox = new CodeSandbox({
        backend: emulatorBackend(emulator, { maxRetries: 2 }),
      });
      await sandbox.executePython('pass');
      for (let round = 0; round < tries; round++) {
        emulator.faults.throttle(3);
        const failed = await attempt(sandbox, plotCode(`exhausted-${round}`));
        const next = await attempt(sandbox, plotCode(`after-${round}`));
        const clear =
          !isResult(failed) && failed.code === 'BACKEND_FAILED' && failed.isRetryable === true;
        if (!isResult(failed)) codes.add(errorKind(failed));
        lost += lostFigure(next);
        if (clear && isResult(next) && storedFigures(next, 1) === 1) survived++;
      }
    }
    emulator.faults.reset();
    lost += leakedSessions(emulator);
    recordCase({
      group: 'fault',
      name: 'AgentCore throttled past maxRetries (3 × 429, maxRetries 2)',
      tried: tries,
      survived,
      lost,
      outcome: `BackendError ${[...codes].join(', ')}; the code never ran; the next call stored its figure`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('throttling under a requests-per-second quota with concurrent sandboxes', async () => {
    const quota = await startAgentCoreEmulator({
      requestsPerSecond: { InvokeCodeInterpreter: 6 },
    });
    const sandboxes = 4;
    const perSandbox = 5;
    const tries = sandboxes * perSandbox;
    let survived = 0;
    let lost = 0;
    let succeeded = 0;
    let failedRetryable = 0;
    try {
      await Promise.all(
        Array.from({ length: sandboxes }, async (_, which) => {
          await using sandbox = new CodeSandbox({
            backend: emulatorBackend(quota, { maxRetries: 6, retryBaseDelayMs: 150 }),
          });
          for (let round = 0; round < perSandbox; round++) {
            const outcome = await attempt(sandbox, plotCode(`quota-${which}-${round}`));
            if (isResult(outcome)) {
              lost += undeliveredFigures(outcome, 1);
              if (storedFigures(outcome, 1) === 1) {
                succeeded++;
                survived++;
              }
            } else if (outcome.code === 'BACKEND_FAILED' && outcome.isRetryable) {
              failedRetryable++;
              survived++;
            }
          }
        }),
      );
      lost += leakedSessions(quota);
      recordCase({
        group: 'fault',
        name: 'AgentCore quota of 6 InvokeCodeInterpreter/s, 4 sandboxes calling at once',
        tried: tries,
        survived,
        lost,
        outcome: `${succeeded} stored after retries, ${failedRetryable} retryable BACKEND_FAILED; ${quota.stats.throttled} requests throttled`,
      });
    } finally {
      await quota.close();
    }
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
    expect(succeeded).toBeGreaterThan(0);
  });

  it('server errors (HTTP 500 and an internalServerException first frame) are retried', async () => {
    const tries = 12;
    const { survived, lost } = await retriedRounds(emulator, tries, 'server', (round) => {
      if (round % 2 === 0) emulator.faults.serverError(1 + (round % 3));
      else emulator.faults.streamException('internalServerException');
    });
    recordCase({
      group: 'fault',
      name: 'AgentCore server errors: HTTP 500 or an exception as the first stream frame',
      tried: tries,
      survived,
      lost,
      outcome: 'retried with backoff; every figure stored',
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('a session expiring mid-conversation is replaced and the call retried', async () => {
    const tries = 6;
    let survived = 0;
    let lost = 0;
    const startedBefore = emulator.stats.started;
    {
      await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
      await sandbox.executePython('x = 1');
      for (let round = 0; round < tries; round++) {
        emulator.faults.expireSession(sandbox.sessionId);
        const outcome = await attempt(
          sandbox,
          `${plotCode(`expired-${round}`)}\nprint('x' in globals())`,
        );
        if (isResult(outcome)) {
          lost += undeliveredFigures(outcome, 1);
          if (
            outcome.sessionRestarted === true &&
            !outcome.isError &&
            outcome.stdout.includes('False') &&
            storedFigures(outcome, 1) === 1
          ) {
            survived++;
          }
        }
        await sandbox.executePython('x = 1');
      }
    }
    lost += leakedSessions(emulator);
    const started = emulator.stats.started - startedBefore;
    recordCase({
      group: 'fault',
      name: 'AgentCore session expires mid-conversation',
      tried: tries,
      survived,
      lost,
      outcome: `ResourceNotFound → new session, call made once more, sessionRestarted: true; ${started} sessions for ${tries} expiries`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
    expect(started).toBe(tries + 1);
  });

  it('a stream cut mid-frame is reported as lost output, never a partial result or a second run', async () => {
    const tries = 10;
    let survived = 0;
    let lost = 0;
    {
      await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
      await sandbox.executePython('runs = 0');
      for (let round = 0; round < tries; round++) {
        emulator.faults.cutStream(1);
        const cut = await attempt(sandbox, `runs += 1\n${plotCode(`cut-${round}`)}`);
        const next = await attempt(sandbox, `print(runs)\n${plotCode(`after-cut-${round}`)}`);
        lost += lostFigure(next);
        if (
          isResult(cut) &&
          cut.isError &&
          cut.error?.name === 'OutputLost' &&
          isResult(next) &&
          next.stdout.startsWith(`${round + 1}\n`) &&
          storedFigures(next, 1) === 1
        ) {
          survived++;
        }
      }
    }
    lost += leakedSessions(emulator);
    recordCase({
      group: 'fault',
      name: 'AgentCore stream cut in the middle of a frame',
      tried: tries,
      survived,
      lost,
      outcome:
        'isError result OutputLost (the start record shows the code ran; its figure went with the cut stream, said so); never run twice; the next call stored its figure with the variables kept',
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('an exception frame after the code ran (its result withheld) is lost output, not a second run', async () => {
    const tries = 8;
    let survived = 0;
    let lost = 0;
    const startedBefore = emulator.stats.started;
    {
      await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
      await sandbox.executePython('runs = 0');
      for (let round = 0; round < tries; round++) {
        emulator.faults.streamException('internalServerException', { afterRun: true });
        const withheld = await attempt(sandbox, `runs += 1\n${plotCode(`withheld-${round}`)}`);
        const next = await attempt(sandbox, `print(runs)\n${plotCode(`after-withheld-${round}`)}`);
        lost += lostFigure(next);
        if (
          isResult(withheld) &&
          withheld.error?.name === 'OutputLost' &&
          withheld.sessionRestarted === undefined &&
          isResult(next) &&
          next.stdout.startsWith(`${round + 1}\n`) &&
          storedFigures(next, 1) === 1
        ) {
          survived++;
        }
      }
    }
    lost += leakedSessions(emulator);
    recordCase({
      group: 'fault',
      name: 'AgentCore internalServerException frame after the code ran, result withheld',
      tried: tries,
      survived,
      lost,
      outcome: `isError result OutputLost: the code ran once (start record found), its output and figure reported lost; session and variables kept (${emulator.stats.started - startedBefore} session)`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('a server fault before the code started is retried after the start check: the code runs once', async () => {
    const tries = 10;
    let survived = 0;
    let lost = 0;
    {
      await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
      await sandbox.executePython('runs = 0');
      for (let round = 0; round < tries; round++) {
        if (round % 2 === 0) emulator.faults.serverError(1 + (round % 3));
        else emulator.faults.streamException('internalServerException');
        const outcome = await attempt(
          sandbox,
          `runs += 1\nprint(runs)\n${plotCode(`before-start-${round}`)}`,
        );
        if (isResult(outcome)) {
          lost += undeliveredFigures(outcome, 1);
          if (
            !outcome.isError &&
            outcome.stdout.startsWith(`${round + 1}\n`) &&
            storedFigures(outcome, 1) === 1
          ) {
            survived++;
          }
        } else {
          lost++;
        }
      }
    }
    emulator.faults.reset();
    lost += leakedSessions(emulator);
    recordCase({
      group: 'fault',
      name: 'AgentCore HTTP 500 or exception frame before the code started',
      tried: tries,
      survived,
      lost,
      outcome:
        'the start check finds no record, the call is repeated; the code ran exactly once and every figure stored',
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('a first frame later than timeoutMs gives a TimeoutError result and a new session', async () => {
    const tries = 4;
    const timeoutMs = 400;
    let survived = 0;
    let lost = 0;
    const startedBefore = emulator.stats.started;
    let longestMs = 0;
    {
      await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
      await sandbox.executePython('pass');
      for (let round = 0; round < tries; round++) {
        emulator.faults.delayFirstFrame(timeoutMs + 1_000);
        const began = performance.now();
        const late = await attempt(sandbox, plotCode(`late-${round}`), { timeoutMs });
        longestMs = Math.max(longestMs, performance.now() - began);
        const next = await attempt(sandbox, plotCode(`after-late-${round}`));
        lost += lostFigure(next);
        if (
          isResult(late) &&
          late.isError &&
          late.error?.name === 'TimeoutError' &&
          isResult(next) &&
          next.sessionRestarted === true &&
          storedFigures(next, 1) === 1
        ) {
          survived++;
        }
      }
    }
    // The timed-out sessions are stopped in the background; give the stops a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    lost += leakedSessions(emulator);
    const started = emulator.stats.started - startedBefore;
    recordCase({
      group: 'fault',
      name: `AgentCore first frame ${timeoutMs + 1000} ms late, timeoutMs ${timeoutMs}`,
      tried: tries,
      survived,
      lost,
      outcome: `TimeoutError result within ${Math.round(longestMs)} ms; session stopped and replaced (${started} sessions), next call sessionRestarted`,
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });

  it('the Python process crashing inside an AgentCore session', async () => {
    const crashes = {
      'os._exit': 'import os\nos._exit(3)',
      segfault: 'import ctypes\nctypes.string_at(0)',
      SIGKILL: 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)',
    };
    const rounds = 2;
    const tries = rounds * Object.keys(crashes).length;
    let survived = 0;
    let lost = 0;
    {
      await using sandbox = new CodeSandbox({ backend: emulatorBackend(emulator) });
      for (let round = 0; round < rounds; round++) {
        for (const [kind, crash] of Object.entries(crashes)) {
          const label = `crash-${kind}-${round}`;
          // The figure is shown before the crash: it is on its way out already.
          const crashed = await attempt(
            sandbox,
            `${plotCode(label)}\nplt.show()\nimport sys\nsys.stdout.flush()\n${crash}`,
          );
          const next = await attempt(sandbox, plotCode(`after-${label}`));
          lost += lostFigure(crashed) + lostFigure(next);
          if (
            isResult(crashed) &&
            crashed.isError &&
            storedFigures(crashed, 1) === 1 &&
            isResult(next) &&
            !next.isError &&
            storedFigures(next, 1) === 1
          ) {
            survived++;
          }
        }
      }
    }
    lost += leakedSessions(emulator);
    recordCase({
      group: 'fault',
      name: 'Python crashes in an AgentCore session (os._exit, segfault, SIGKILL)',
      tried: tries,
      survived,
      lost,
      outcome:
        'isError with a non-zero exit code, the reason in stderr; the figure shown before the crash stored; the emulator starts a fresh interpreter, the next call works (no sessionRestarted: the service does not say)',
    });
    expect({ survived, lost }).toEqual({ survived: tries, lost: 0 });
  });
});
