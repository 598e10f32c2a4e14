import { describe, expect, it } from 'vitest';
import type { ImageSink } from '../../src/sinks/types.js';
import {
  type CheckImageSinkOptions,
  checkImageSink,
  IMAGE_SINK_CHECKS,
  type ImageSinkCheckName,
} from '../../src/testing.js';

/** A sink to check and what checkImageSink may assume about it; made afresh for every check. */
export interface SinkUnderTest {
  sink: ImageSink;
  options?: CheckImageSinkOptions;
}

export interface ImageSinkContractOptions {
  /** @default every check in IMAGE_SINK_CHECKS */
  checks?: readonly ImageSinkCheckName[];
  /**
   * Checks the sink is known to fail today, with why: each runs as `it.fails`, so the suite
   * turns red once the sink is fixed and the entry must go.
   */
  knownGaps?: Partial<Record<ImageSinkCheckName, string>>;
}

/**
 * The image sink contract as a vitest suite: one `it` per check of `checkImageSink`, each
 * passing only when that check passes (the failure shows the check's detail).
 */
export function describeImageSinkContract(
  title: string,
  setup: () => SinkUnderTest | Promise<SinkUnderTest>,
  contract: ImageSinkContractOptions = {},
): void {
  const checks = contract.checks ?? (Object.keys(IMAGE_SINK_CHECKS) as ImageSinkCheckName[]);
  describe(`${title} keeps the image sink contract`, () => {
    for (const name of checks) {
      const gap = contract.knownGaps?.[name];
      const test = gap === undefined ? it : it.fails;
      test(`${name}: ${IMAGE_SINK_CHECKS[name]}${gap ? ` (known gap: ${gap})` : ''}`, async () => {
        const { sink, options } = await setup();
        const report = await checkImageSink(sink, { ...options, only: [name] });
        expect(report.checks).toEqual([{ name, ok: true }]);
        expect(report.ok).toBe(true);
      });
    }
  });
}
