import { z } from 'zod';
import type { CaptureOptions } from '../types/index.js';

/**
 * The capture options' schema: each default is written here once (see `CaptureOptions` for what
 * each option does). The values become Python literals in the wrapper, so anything unexpected is
 * refused rather than quoted.
 */
export const captureOptionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    format: z.enum(['png', 'svg', 'jpeg']).default('png'),
    dpi: z.number().positive().max(2400).default(100),
    maxFigures: z.number().int().nonnegative().max(1000).default(20),
    maxFigureBytes: z
      .number()
      .int()
      .positive()
      .max(Number.MAX_SAFE_INTEGER)
      .default(10 * 1024 * 1024),
    transport: z.enum(['stdout', 'files']).default('stdout'),
    chartData: z.boolean().default(true),
    maxFigureSidePixels: z.number().int().positive().max(1_000_000).default(8000),
    tightBoundingBox: z.boolean().default(true),
  })
  .strict();

/** The capture options with every default filled in. */
export type ResolvedCaptureOptions = Required<CaptureOptions>;

/** The capture defaults, from the schema. */
export const DEFAULT_CAPTURE: Readonly<ResolvedCaptureOptions> = Object.freeze(
  captureOptionsSchema.parse({}),
);
