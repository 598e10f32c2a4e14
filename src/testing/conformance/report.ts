import { errorMessage } from '../../errors/index.js';

/** The outcome of one conformance check. */
export interface ConformanceCheckResult {
  /** The check's stable name, e.g. `'round-trip'`. */
  name: string;
  ok: boolean;
  /** Why the check failed (the error's message when it threw); absent when it passed. */
  detail?: string;
}

/** What `checkImageSink` and `checkBackend` resolve to. Never rejects because a check failed. */
export interface ConformanceReport {
  /** True when every check that ran passed. */
  ok: boolean;
  /** One entry per check that ran, in the order they ran. */
  checks: ConformanceCheckResult[];
}

/** What a check gets: a signal that fires when its time is up, and a place to register cleanups. */
export interface CheckScope {
  /** Aborted when the check's time is up; pass it on to anything that can be cancelled. */
  signal: AbortSignal;
  /** Runs `cleanup` after the check, whether it passed, failed or timed out. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** Says something about a check that passes (its `detail`), e.g. what did not apply. */
  note(detail: string): void;
}

/** One named check: it passes when `run` resolves and fails with the message of what it throws. */
export interface CheckDefinition<Name extends string> {
  name: Name;
  run(scope: CheckScope): Promise<void>;
}

/** Thrown by a check to fail with `detail`. */
export class ConformanceFailure extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'ConformanceFailure';
  }
}

/** Fails the current check with `detail` unless `condition` holds. */
export function ensure(condition: unknown, detail: string | (() => string)): asserts condition {
  if (!condition) throw new ConformanceFailure(typeof detail === 'string' ? detail : detail());
}

/**
 * Runs `checks` one after another. Each gets `timeoutMs`; a check that throws or runs out of time
 * is a failed check (its message the detail), never a rejection. Cleanups run after each check and
 * get `cleanupTimeoutMs` in all.
 */
export async function runChecks<Name extends string>(
  checks: readonly CheckDefinition<Name>[],
  options: { timeoutMs: number; cleanupTimeoutMs: number },
): Promise<ConformanceReport> {
  const results: ConformanceCheckResult[] = [];
  for (const check of checks) results.push(await runOne(check, options));
  return { ok: results.every((result) => result.ok), checks: results };
}

async function runOne<Name extends string>(
  check: CheckDefinition<Name>,
  options: { timeoutMs: number; cleanupTimeoutMs: number },
): Promise<ConformanceCheckResult> {
  const controller = new AbortController();
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  let note: string | undefined;
  const scope: CheckScope = {
    signal: controller.signal,
    defer: (cleanup) => cleanups.push(cleanup),
    note: (detail) => {
      note = detail;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ConformanceFailure(`did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
  });
  // Started inside a promise chain, so a check that throws synchronously fails like any other.
  const running = Promise.resolve().then(() => check.run(scope));
  // A check abandoned at its timeout may still reject later: that rejection is already reported.
  running.catch(() => {});
  let result: ConformanceCheckResult;
  try {
    await Promise.race([running, expired]);
    result =
      note === undefined
        ? { name: check.name, ok: true }
        : { name: check.name, ok: true, detail: note };
  } catch (error) {
    result = { name: check.name, ok: false, detail: describe(error) };
  } finally {
    clearTimeout(timer);
    controller.abort(new ConformanceFailure(`the check ${check.name} ended`));
  }
  const cleanupFailure = await runCleanups(cleanups, options.cleanupTimeoutMs);
  if (cleanupFailure !== undefined && result.ok) {
    result = { name: check.name, ok: false, detail: cleanupFailure };
  }
  return result;
}

/** Runs cleanups last-registered first; returns why one failed or hung, if one did. */
async function runCleanups(
  cleanups: (() => Promise<unknown> | unknown)[],
  timeoutMs: number,
): Promise<string | undefined> {
  if (cleanups.length === 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const all = (async () => {
    const failures: string[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(describe(error));
      }
    }
    return failures.length === 0 ? undefined : `cleanup failed: ${failures.join('; ')}`;
  })();
  const expired = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`cleanup (closing sessions, removing files) took over ${timeoutMs} ms`),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([all, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const message = errorMessage(error);
  if (error instanceof ConformanceFailure) return message;
  const name = error instanceof Error ? error.name : typeof error;
  return `threw ${name}: ${message}`;
}
