import { z } from 'zod';
import { parseOptions } from '../../internal/parse-options.js';
import type { ImageSink } from '../../sinks/types.js';
import type { StoredFigure } from '../../types/index.js';
import { imageSinkChecks } from './image-sink-checks.js';
import { type CheckDefinition, type ConformanceReport, runChecks } from './report.js';

/** Every check `checkImageSink` knows, by name, with what it verifies. */
export const IMAGE_SINK_CHECKS = {
  'round-trip': 'PNG, SVG and JPEG figures come back byte-exact from `data`, `url` and `path`',
  'buffer-view':
    "a figure whose bytes are a view into a larger buffer stores only the view's bytes",
  'byte-length': '`byteLength` equals the number of bytes stored',
  'figure-fields': 'index, mediaType, width, height and title are kept; `sink` names the sink',
  'concurrent-figures':
    'figures of one execution stored at the same time get distinct locations and keep their bytes',
  'concurrent-executions':
    'the same figure index in executions stored at the same time gets distinct locations',
  abort: 'an already-aborted signal rejects with an AbortError and stores nothing',
  'hostile-title':
    'a title such as ../../etc/x or with control characters cannot steer the location',
  'hostile-execution-id':
    'an execution id such as ../../etc/x is refused with a SinkError or kept inside the sink',
  files:
    'putFile (when the sink has it): a CSV and an HTML file round-trip byte-exact with path, type and size; HTML over http(s) is an attachment; odd names stay inside and apart',
  'sink-error':
    'a put that fails rejects with a SinkError that names the sink and says why (`failingSink`)',
} as const;

/** The name of one image sink check. */
export type ImageSinkCheckName = keyof typeof IMAGE_SINK_CHECKS;

const checkNames = Object.keys(IMAGE_SINK_CHECKS) as [ImageSinkCheckName, ...ImageSinkCheckName[]];

/** What `checkImageSink` may assume about the sink, and how to look at what it stored. */
export interface CheckImageSinkOptions {
  /**
   * Runs only these checks, in this order. A named check whose option is missing (`sink-error`
   * without `failingSink`) fails and says which option it needs.
   * @default every check whose options are given (see `imageSinkCheckNames`)
   */
  only?: ImageSinkCheckName[];
  /**
   * Longest one check may take; past it the check fails.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Fetches http(s) figure URLs.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Reads a stored figure back when its `url` has a scheme other than data:, file: or http(s).
   * @default undefined (such a URL fails the checks that read figures back)
   */
  read?: (stored: StoredFigure) => Promise<Uint8Array>;
  /**
   * Makes a sink of the same kind whose `put` fails (an unwritable folder, a missing bucket...),
   * for the `sink-error` check.
   * @default undefined (`sink-error` does not run)
   */
  failingSink?: () => ImageSink;
  /**
   * Lists everything the sink has stored (file paths, object keys), so that the `abort` check can
   * see that an aborted put left nothing behind.
   * @default undefined (only the rejection is checked)
   */
  listStored?: () => Promise<string[]>;
  /**
   * For a sink that writes files: the folder every `path` (and file: URL) must stay inside.
   * @default undefined (paths must only be absolute and normalised)
   */
  dir?: string;
  /**
   * For an object-store sink: the prefix every `key` must start with.
   * @default undefined (keys must only be relative, without "." or ".." segments)
   */
  keyPrefix?: string;
  /**
   * Names `StoredFigure.sink` may carry; a sink that delegates (fallbackSink) reports the sink
   * that stored the figure.
   * @default [sink.name]
   */
  sinkNames?: string[];
}

const isFunction = (value: unknown) => typeof value === 'function';

const optionsSchema = z
  .object({
    only: z.array(z.enum(checkNames)).optional(),
    timeoutMs: z.number().int().positive().default(10_000),
    fetch: z.custom<typeof fetch>(isFunction, { message: 'must be a fetch function' }).optional(),
    read: z
      .custom<(stored: StoredFigure) => Promise<Uint8Array>>(isFunction, {
        message: 'must be a function (stored) => Promise<Uint8Array>',
      })
      .optional(),
    failingSink: z
      .custom<() => ImageSink>(isFunction, { message: 'must be a function that returns a sink' })
      .optional(),
    listStored: z
      .custom<() => Promise<string[]>>(isFunction, {
        message: 'must be a function () => Promise<string[]>',
      })
      .optional(),
    dir: z.string().min(1).optional(),
    keyPrefix: z.string().optional(),
    sinkNames: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

/** The checks `checkImageSink` runs with these options, in order. */
export function imageSinkCheckNames(options: CheckImageSinkOptions = {}): ImageSinkCheckName[] {
  return selectChecks(options.only, options.failingSink !== undefined);
}

function selectChecks(
  only: ImageSinkCheckName[] | undefined,
  hasFailingSink: boolean,
): ImageSinkCheckName[] {
  if (only !== undefined) return [...only];
  return checkNames.filter((name) => name !== 'sink-error' || hasFailingSink);
}

/**
 * Checks that `sink` keeps the contract sandplot relies on (see `IMAGE_SINK_CHECKS`): figures
 * round-trip byte-exact, locations are distinct and cannot be steered by what the sandboxed code
 * names, aborts are honoured, failures are `SinkError`s. Needs no test runner; every check is
 * bounded by `timeoutMs`, and one that throws is reported as failed, never as a rejection.
 *
 * @example
 * const report = await checkImageSink(mySink(), { failingSink: () => mySink({ bucket: 'missing' }) });
 * if (!report.ok) console.table(report.checks);
 */
export async function checkImageSink(
  sink: ImageSink,
  options: CheckImageSinkOptions = {},
): Promise<ConformanceReport> {
  const settings = parseOptions(optionsSchema, options, 'checkImageSink options');
  const checks = selectChecks(settings.only, settings.failingSink !== undefined).map(
    (name): CheckDefinition<ImageSinkCheckName> => ({
      name,
      run: (scope) => imageSinkChecks[name](sink, settings, scope),
    }),
  );
  return runChecks(checks, { timeoutMs: settings.timeoutMs, cleanupTimeoutMs: settings.timeoutMs });
}
