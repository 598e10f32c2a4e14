import { appendFileSync } from 'node:fs';

/** What one reliability case did: how many attempts, how many ended well, what went missing. */
export interface CaseOutcome {
  /** The table's section: 'fault', 'load', 'hostile' or 'fuzz'. */
  group: 'fault' | 'load' | 'hostile' | 'fuzz';
  /** One line a reader understands without the test file, e.g. "session expires mid-conversation". */
  name: string;
  /** Attempts made (executions, requests, generated inputs). */
  tried: number;
  /** Attempts that recovered, or failed with the clear error the case expects. */
  survived: number;
  /** Figures, outputs or sessions lost or leaked; 0 is the target. */
  lost: number;
  /** What happened, in a few words: the error code seen, the limit that held, a measured number. */
  outcome: string;
}

/**
 * Records a case for docs/reliability.md. `npm run test:reliability` sets SANDPLOT_RELIABILITY_LOG;
 * a plain `npm test` runs the same cases and records nothing. Record before asserting, so that a
 * case that fails still shows in the table with its real numbers.
 */
export function recordCase(outcome: CaseOutcome): void {
  const log = process.env.SANDPLOT_RELIABILITY_LOG;
  if (log === undefined || log === '') return;
  // One short line per append: concurrent test workers do not interleave it.
  appendFileSync(log, `${JSON.stringify(outcome)}\n`);
}
