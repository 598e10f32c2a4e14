import { z } from 'zod';
import type { OutputFileOptions } from '../types/index.js';

/** `OutputFileOptions` with each default written once (see the type for what they mean). */
export const outputFileOptionsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  maxFiles: z.number().int().nonnegative().max(10_000).default(20),
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .max(2 ** 40)
    .default(25 * 1024 * 1024),
  maxTotalBytes: z
    .number()
    .int()
    .positive()
    .max(2 ** 42)
    .default(100 * 1024 * 1024),
  maxEntries: z.number().int().positive().max(10_000_000).default(10_000),
});

/** The output file options with every default filled in. */
export type ResolvedOutputFileOptions = Required<OutputFileOptions>;

export const DEFAULT_OUTPUT_FILES: Readonly<ResolvedOutputFileOptions> = Object.freeze(
  outputFileOptionsSchema.parse({}),
);
