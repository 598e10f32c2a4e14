import { SandplotError, SinkError } from '../../errors/index.js';
import type { ImageSink, ImageSinkContext } from '../../sinks/types.js';
import type { CapturedFigure, FigureMediaType, StoredFigure } from '../../types/index.js';
import type { ImageSinkCheckName } from './check-image-sink.js';
import { checkFiles } from './file-checks.js';
import { ensureConfined, HOSTILE_NAMES } from './location-safety.js';
import { describeError, settle } from './outcome.js';
import { firstDifference, locationOf, readStoredCopies } from './read-stored.js';
import { type CheckScope, ensure } from './report.js';
import { sampleExecutionId, sampleFigure } from './sample-figures.js';

/** What the image sink checks take from `CheckImageSinkOptions`. */
export interface ImageSinkCheckSettings {
  fetch?: typeof fetch | undefined;
  read?: ((stored: StoredFigure) => Promise<Uint8Array>) | undefined;
  failingSink?: (() => ImageSink) | undefined;
  listStored?: (() => Promise<string[]>) | undefined;
  dir?: string | undefined;
  keyPrefix?: string | undefined;
  sinkNames?: string[] | undefined;
}

const MEDIA_TYPES: readonly FigureMediaType[] = ['image/png', 'image/svg+xml', 'image/jpeg'];
const CONCURRENT_PUTS = 8;

type ImageSinkCheck = (
  sink: ImageSink,
  options: ImageSinkCheckSettings,
  scope: CheckScope,
) => Promise<void>;

/** The checks of `checkImageSink`, by name (see `IMAGE_SINK_CHECKS` for what each verifies). */
export const imageSinkChecks: Record<ImageSinkCheckName, ImageSinkCheck> = {
  async 'round-trip'(sink, options, scope) {
    for (const [index, mediaType] of MEDIA_TYPES.entries()) {
      const figure = sampleFigure(index, mediaType);
      const stored = await put(sink, figure, context());
      await ensureSameBytes(stored, figure.data, `the ${mediaType} figure`, options, scope);
    }
  },

  async 'buffer-view'(sink, options, scope) {
    const figure = sampleFigure(0);
    const backing = new Uint8Array(figure.data.byteLength + 64).fill(0xaa);
    backing.set(figure.data, 32);
    const view = backing.subarray(32, 32 + figure.data.byteLength);
    const stored = await put(sink, { ...figure, data: view }, context());
    await ensureSameBytes(stored, figure.data, 'the figure given as a view', options, scope);
  },

  async 'byte-length'(sink, options, scope) {
    const figure = sampleFigure(0);
    const stored = await put(sink, figure, context());
    ensure(
      stored.byteLength === figure.data.byteLength,
      `byteLength is ${String(stored.byteLength)} for a figure of ${figure.data.byteLength} bytes`,
    );
    for (const copy of await readStoredCopies(stored, readOptions(options, scope))) {
      ensure(
        copy.bytes.byteLength === stored.byteLength,
        `byteLength is ${stored.byteLength} but the ${copy.via} copy holds ${copy.bytes.byteLength} bytes`,
      );
    }
  },

  async 'figure-fields'(sink, options) {
    ensure(typeof sink.name === 'string' && sink.name !== '', 'the sink has no name');
    const names = options.sinkNames ?? [sink.name];
    const figure = sampleFigure(7, 'image/svg+xml', 'Sales by region');
    const stored = await put(sink, { ...figure, width: 640, height: 480 }, context());
    const expected = {
      index: 7,
      mediaType: 'image/svg+xml',
      width: 640,
      height: 480,
      title: 'Sales by region',
    };
    for (const [field, value] of Object.entries(expected)) {
      const actual = (stored as unknown as Record<string, unknown>)[field];
      ensure(
        actual === value,
        `${field} came back as ${JSON.stringify(actual)}, not ${JSON.stringify(value)}`,
      );
    }
    ensure(
      names.includes(stored.sink),
      `sink is ${JSON.stringify(stored.sink)}, not ${names.map((name) => JSON.stringify(name)).join(' or ')}`,
    );
    if (stored.expiresAt !== undefined) {
      ensure(
        stored.expiresAt instanceof Date && stored.expiresAt.getTime() > Date.now(),
        `expiresAt ${String(stored.expiresAt)} is not a Date in the future`,
      );
    }
  },

  async files(sink, options, scope) {
    const note = await checkFiles(sink, options, scope);
    if (note !== undefined) scope.note(note);
  },

  async 'concurrent-figures'(sink, options, scope) {
    const executionId = sampleExecutionId();
    const figures = Array.from({ length: CONCURRENT_PUTS }, (_, index) =>
      sampleFigure(index, MEDIA_TYPES[index % MEDIA_TYPES.length]),
    );
    const stored = await Promise.all(
      figures.map((figure) => put(sink, figure, context(executionId))),
    );
    await ensureDistinct(stored, figures, 'figures 0-7 of one execution', options, scope);
  },

  async 'concurrent-executions'(sink, options, scope) {
    const figures = Array.from({ length: CONCURRENT_PUTS }, () => sampleFigure(0));
    const stored = await Promise.all(
      figures.map((figure) => put(sink, figure, context(sampleExecutionId()))),
    );
    await ensureDistinct(stored, figures, 'figure 0 of eight executions', options, scope);
  },

  async abort(sink, options) {
    const before = new Set((await options.listStored?.()) ?? []);
    const controller = new AbortController();
    controller.abort(new Error('aborted by checkImageSink'));
    const outcome = await settle(
      put(sink, sampleFigure(0), { ...context(), abortSignal: controller.signal }),
    );
    const added = ((await options.listStored?.()) ?? []).filter((entry) => !before.has(entry));
    ensure(
      outcome.status === 'rejected',
      'put resolved although its abortSignal was already aborted',
    );
    ensure(
      SandplotError.isInstance(outcome.reason) && outcome.reason.code === 'ABORTED',
      () =>
        `put rejected with ${describeError(outcome.reason)}, not an AbortError (code ABORTED): ` +
        'CodeSandbox and fallbackSink take any other error for a failed sink, not an abort',
    );
    ensure(added.length === 0, () => `the aborted put left ${added.join(', ')} behind`);
  },

  async 'hostile-title'(sink, options) {
    for (const [index, hostile] of HOSTILE_NAMES.entries()) {
      const outcome = await settle(
        put(sink, sampleFigure(index, 'image/png', hostile.text), context()),
      );
      ensure(
        outcome.status === 'fulfilled',
        () =>
          `a figure titled ${JSON.stringify(hostile.text.slice(0, 60))} was refused ` +
          `(${describeError(outcome.status === 'rejected' ? outcome.reason : undefined)}): a title is content, not a name`,
      );
      ensureConfined(outcome.value, hostile, confinement(options));
    }
  },

  async 'hostile-execution-id'(sink, options) {
    for (const hostile of [...HOSTILE_NAMES, { text: '', fragments: [] }]) {
      const outcome = await settle(put(sink, sampleFigure(0), context(hostile.text)));
      if (outcome.status === 'rejected') {
        ensure(
          SinkError.isInstance(outcome.reason),
          () =>
            `the execution id ${JSON.stringify(hostile.text.slice(0, 60))} was refused with ` +
            `${describeError(outcome.reason)}, not a SinkError`,
        );
        continue;
      }
      ensureConfined(outcome.value, hostile, confinement(options));
    }
  },

  async 'sink-error'(_sink, options) {
    ensure(
      options.failingSink !== undefined,
      'needs the failingSink option: a sink of this kind whose put fails',
    );
    const failing = options.failingSink();
    const outcome = await settle(put(failing, sampleFigure(0), context()));
    ensure(outcome.status === 'rejected', 'the failingSink stored the figure: it did not fail');
    const error = outcome.reason;
    ensure(
      SinkError.isInstance(error),
      () => `put rejected with ${describeError(error)}, not a SinkError`,
    );
    const names = [failing.name, ...(options.sinkNames ?? [])];
    ensure(
      names.includes(error.sink),
      `the SinkError names the sink ${JSON.stringify(error.sink)}, not ${JSON.stringify(failing.name)}`,
    );
    ensure(
      error.message.trim() !== '' && error.message.trim() !== error.sink,
      `the SinkError does not say why: ${JSON.stringify(error.message)}`,
    );
  },
};

function context(executionId = sampleExecutionId()): ImageSinkContext {
  return { executionId, sessionId: 'conformance-session', reportProblem: () => {} };
}

/** `sink.put`, also when it throws synchronously or returns something that is not a figure. */
async function put(
  sink: ImageSink,
  figure: CapturedFigure,
  sinkContext: ImageSinkContext,
): Promise<StoredFigure> {
  const stored = await sink.put(figure, sinkContext);
  ensure(
    typeof stored === 'object' && stored !== null,
    `put resolved to ${String(stored)}, not a StoredFigure`,
  );
  return stored;
}

function readOptions(options: ImageSinkCheckSettings, scope: CheckScope) {
  return { fetch: options.fetch ?? globalThis.fetch, read: options.read, signal: scope.signal };
}

function confinement(options: ImageSinkCheckSettings) {
  return { dir: options.dir, keyPrefix: options.keyPrefix };
}

async function ensureSameBytes(
  stored: StoredFigure,
  expected: Uint8Array,
  what: string,
  options: ImageSinkCheckSettings,
  scope: CheckScope,
): Promise<void> {
  for (const copy of await readStoredCopies(stored, readOptions(options, scope))) {
    const difference = firstDifference(copy.bytes, expected);
    ensure(
      difference === -1,
      `${what}: the ${copy.via} copy (${copy.bytes.byteLength} bytes) differs from the ` +
        `${expected.byteLength} bytes put, first at byte ${difference}`,
    );
    if (copy.mediaType !== undefined) {
      const mediaType = copy.mediaType.split(';', 1)[0]?.trim().toLowerCase();
      ensure(
        mediaType === stored.mediaType,
        `${what}: the ${copy.via} copy is served as ${copy.mediaType}, not ${stored.mediaType}`,
      );
    }
  }
}

async function ensureDistinct(
  stored: StoredFigure[],
  figures: CapturedFigure[],
  what: string,
  options: ImageSinkCheckSettings,
  scope: CheckScope,
): Promise<void> {
  const seen = new Map<string, number>();
  for (const [position, figure] of stored.entries()) {
    const location = locationOf(figure);
    if (location === undefined) continue;
    const earlier = seen.get(location);
    ensure(
      earlier === undefined,
      `${what}: puts ${earlier} and ${position} were both stored at ${location}`,
    );
    seen.set(location, position);
  }
  for (const [position, figure] of stored.entries()) {
    await ensureSameBytes(
      figure,
      (figures[position] as CapturedFigure).data,
      `${what}, put ${position}`,
      options,
      scope,
    );
  }
}
