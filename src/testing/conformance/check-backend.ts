import { z } from 'zod';
import type { SandboxBackend } from '../../backends/types.js';
import { parseOptions } from '../../internal/parse-options.js';
import { backendChecks } from './backend-checks.js';
import { type CheckDefinition, type ConformanceReport, runChecks } from './report.js';

/** Every check `checkBackend` knows, by name, with what it verifies. */
export const BACKEND_CHECKS = {
  'session-start':
    'createSession starts a live session with an id; each call starts its own, with its own variables',
  state: 'variables, imports and functions persist between runCode calls',
  output:
    "stdout, stderr and the exit code of wrapped code come back through the callbacks, and the code's exception through the markers",
  figure: 'a matplotlib figure made by wrapped code comes back, as a marker or out of band',
  files:
    'writeFiles then readFile round-trips all 256 byte values, an empty file and UTF-8 text; a missing file rejects with FILE_NOT_FOUND',
  'files-code':
    'the code reads what writeFiles wrote, and readFile returns what the code wrote, byte-exact',
  'abort-running':
    'aborting a running cell interrupts it quickly; a session that lives on keeps its variables',
  'abort-before-run': 'an already-aborted signal ends the call quickly without running the code',
  timeout:
    "timeoutMs interrupts a cell with interrupted: 'timeout'; a session that lives on keeps its variables",
  'lost-session':
    'after os._exit(1) the session reports the loss (crashed, not alive, or sessionRestarted next) and a new session works',
  close:
    'close() stops the session (isAlive false), can be called again, and no code runs after it',
} as const;

/** The name of one backend check. */
export type BackendCheckName = keyof typeof BACKEND_CHECKS;

const checkNames = Object.keys(BACKEND_CHECKS) as [BackendCheckName, ...BackendCheckName[]];

/** What `checkBackend` may assume about the backend. */
export interface CheckBackendOptions {
  /**
   * Runs only these checks, in this order.
   * @default every check (see `BACKEND_CHECKS`)
   */
  only?: BackendCheckName[];
  /**
   * Longest one check may take, session starts and closes included; past it the check fails.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * How soon an abort or an expired `timeoutMs` must end a running cell.
   * @default 5000
   */
  interruptWithinMs?: number;
}

const optionsSchema = z
  .object({
    only: z.array(z.enum(checkNames)).optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    interruptWithinMs: z.number().int().positive().default(5_000),
  })
  .strict();

/** The checks `checkBackend` runs with these options, in order. */
export function backendCheckNames(options: CheckBackendOptions = {}): BackendCheckName[] {
  return options.only === undefined ? [...checkNames] : [...options.only];
}

/**
 * Checks that `backend` keeps the contract CodeSandbox relies on (see `BACKEND_CHECKS`): sessions
 * start and keep state, wrapped code's output and figures come back, files travel byte-exact,
 * aborts and timeouts interrupt, a lost session is reported, close stops it. Every session a
 * check starts is closed after it. Needs no test runner; every check is bounded by `timeoutMs`,
 * and one that throws is reported as failed, never as a rejection.
 *
 * @example
 * const report = await checkBackend(myBackend());
 * for (const check of report.checks) if (!check.ok) console.error(check.name, check.detail);
 */
export async function checkBackend(
  backend: SandboxBackend,
  options: CheckBackendOptions = {},
): Promise<ConformanceReport> {
  const settings = parseOptions(optionsSchema, options, 'checkBackend options');
  const checks = (settings.only ?? checkNames).map(
    (name): CheckDefinition<BackendCheckName> => ({
      name,
      run: (scope) => backendChecks[name](backend, settings, scope),
    }),
  );
  return runChecks(checks, { timeoutMs: settings.timeoutMs, cleanupTimeoutMs: 10_000 });
}
