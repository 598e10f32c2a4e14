import { describe, expect, it } from 'vitest';
import type { SandboxBackend } from '../../src/backends/types.js';
import {
  BACKEND_CHECKS,
  type BackendCheckName,
  type CheckBackendOptions,
  checkBackend,
} from '../../src/testing.js';

export interface BackendContractOptions {
  /** Passed to every checkBackend call. */
  options?: Omit<CheckBackendOptions, 'only'>;
  /**
   * Checks the backend is known to fail today, with why: each runs as `it.fails`, so the suite
   * turns red once the backend is fixed and the entry must go.
   */
  knownGaps?: Partial<Record<BackendCheckName, string>>;
}

/**
 * The backend contract as a vitest suite: one `it` per check of `checkBackend`, each passing
 * only when that check passes (the failure shows the check's detail). `backend` is called per
 * check, after the suite's beforeAll hooks ran.
 */
export function describeBackendContract(
  title: string,
  backend: () => SandboxBackend,
  contract: BackendContractOptions = {},
): void {
  describe(`${title} keeps the backend contract`, () => {
    for (const name of Object.keys(BACKEND_CHECKS) as BackendCheckName[]) {
      const gap = contract.knownGaps?.[name];
      const test = gap === undefined ? it : it.fails;
      test(`${name}: ${BACKEND_CHECKS[name]}${gap ? ` (known gap: ${gap})` : ''}`, async () => {
        const report = await checkBackend(backend(), { ...contract.options, only: [name] });
        expect(report.checks).toEqual([{ name, ok: true }]);
        expect(report.ok).toBe(true);
      });
    }
  });
}
