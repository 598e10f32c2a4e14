import { createHash } from 'node:crypto';
import type { BackendSession } from '../../backends/types.js';
import { SandplotError } from '../../errors/index.js';
import { describeError, type Outcome } from './outcome.js';
import { firstDifference } from './read-stored.js';
import { ensure } from './report.js';
import { runWrapped, type WrappedRun } from './wrapped-run.js';

/** What the backend checks take from `CheckBackendOptions`, defaults filled in. */
export interface BackendCheckSettings {
  timeoutMs: number;
  interruptWithinMs: number;
}

/** How long a cell the checks interrupt would run if nothing interrupted it. */
const SLEEP_SECONDS = 60;

/** A wrapped run that must succeed; the check fails with what went wrong otherwise. */
export async function run(
  session: BackendSession,
  code: string,
  options: BackendCheckSettings,
): Promise<WrappedRun> {
  const done = await runWrapped(session, code, { timeoutMs: options.timeoutMs });
  const { crashed, interrupted } = done.result;
  ensure(
    crashed === undefined && interrupted === undefined,
    () =>
      `running ${JSON.stringify(code.split('\n', 1)[0])} ${crashed ? `crashed: ${crashed.reason}` : `was interrupted (${interrupted})`}`,
  );
  return done;
}

export function sleepingCell(): string {
  return `import time\nconformance_after = 0\nprint('conformance-sleeping', flush=True)\ntime.sleep(${SLEEP_SECONDS})\nconformance_after = 1\n`;
}

/** Fails unless the run was interrupted for `reason` (or, for an abort, rejected as aborted). */
export function ensureInterrupted(
  outcome: Outcome<WrappedRun>,
  reason: 'abort' | 'timeout',
  what: string,
): void {
  if (outcome.status === 'rejected') {
    ensure(
      reason === 'abort' &&
        SandplotError.isInstance(outcome.reason) &&
        outcome.reason.code === 'ABORTED',
      () => `${what} rejected with ${describeError(outcome.reason)}`,
    );
    return;
  }
  const { interrupted } = outcome.value.result;
  ensure(
    interrupted === reason,
    interrupted === undefined
      ? `${what} ran to its end (${Math.round(outcome.value.durationMs)} ms) instead of being interrupted`
      : `${what} reported interrupted: '${interrupted}', not '${reason}'`,
  );
}

/**
 * After an interrupted run, a session that is still alive and did not report a crash must keep
 * its variables, and must not have run the rest of the cell.
 */
export async function ensureStateKept(
  session: BackendSession,
  outcome: Outcome<WrappedRun>,
  options: BackendCheckSettings,
  what: string,
): Promise<void> {
  if (outcome.status === 'fulfilled' && outcome.value.result.crashed !== undefined) return;
  if (!session.isAlive) return;
  const seen = await run(
    session,
    "print(globals().get('conformance_before'), globals().get('conformance_after'))",
    options,
  );
  // conformance_after is 0 while the cell sleeps, None when it never started, 1 when it finished.
  ensure(
    seen.stdout === '1 0\n' || seen.stdout === '1 None\n',
    seen.stdout === '1 1\n'
      ? `the cell ran to its end after ${what}`
      : `after ${what} the session is alive and reported no crash, but lost its variables (printed ${JSON.stringify(seen.stdout)})`,
  );
}

export function allBytes(repeat: number): Uint8Array {
  return Uint8Array.from({ length: 256 * repeat }, (_, index) => index % 256);
}

export function ensureSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  ensure(actual instanceof Uint8Array, `${what} is not a Uint8Array`);
  const difference = firstDifference(actual, expected);
  ensure(
    difference === -1,
    `${what} (${actual.byteLength} bytes) differs from the ${expected.byteLength} bytes expected, first at byte ${difference}`,
  );
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
