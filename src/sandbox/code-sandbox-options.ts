import { z } from 'zod';
import type { SandboxBackend } from '../backends/types.js';
import { captureOptionsSchema } from '../capture/capture-options.js';
import { outputFileOptionsSchema } from '../capture/output-file-options.js';
import { objectWithMethod } from '../internal/plugin-schema.js';
import { base64Sink } from '../sinks/base64.js';
import type { ImageSink } from '../sinks/types.js';
import type { CaptureOptions, OutputFileOptions } from '../types/index.js';

export interface CodeSandboxOptions {
  /** Where the code runs: `localBackend()`, `agentCoreBackend()`, ... */
  backend: SandboxBackend;
  /** Where figures are stored. @default base64Sink() */
  imageSink?: ImageSink;
  /** How figures are captured. @default see `CaptureOptions` */
  capture?: CaptureOptions;
  /** Time one execution may take before it is interrupted. @default 120000 */
  timeoutMs?: number;
  /** Largest accepted code, in UTF-8 bytes. @default 1048576 (1 MiB) */
  maxCodeBytes?: number;
  /**
   * Go on with this existing backend session (e.g. an AgentCore session another process started
   * or detached with `detach()`) instead of starting one. Only for backends that can attach
   * (`agentCoreBackend()`); others throw a `ConfigError`. @default undefined (start a new session)
   */
  sessionId?: string;
  /**
   * The files each call creates or changes in the working directory come back in
   * `ExecutionResult.files`, stored by `imageSink`. @default see `OutputFileOptions`
   */
  outputFiles?: OutputFileOptions;
  /**
   * UTF-8 bytes of stdout, and separately of stderr, kept in an `ExecutionResult`. Longer output
   * keeps its first and last half and counts the cut (`stdoutTruncatedChars`), so code that
   * prints without end costs the host bounded memory; `onStdout`/`onStderr` still see all of it
   * as it streams. At least 1024.
   * @default 10485760 (10 MiB)
   */
  maxOutputBytes?: number;
}

const positiveInteger = z.number().int().positive();

/** A value with a `createSession` method; `message` says what the option expects. */
export function sandboxBackendSchema(message: string) {
  return objectWithMethod<SandboxBackend>('createSession', message);
}

/** `CodeSandboxOptions` with each default written once. */
export const codeSandboxOptionsSchema = z.strictObject({
  backend: sandboxBackendSchema('expected a backend such as localBackend()'),
  imageSink: objectWithMethod<ImageSink>(
    'put',
    'expected an image sink such as base64Sink()',
  ).default(() => base64Sink()),
  capture: captureOptionsSchema.prefault({}),
  timeoutMs: positiveInteger.default(120_000),
  maxCodeBytes: positiveInteger.default(1024 * 1024),
  sessionId: z.string().min(1).optional(),
  outputFiles: outputFileOptionsSchema.prefault({}),
  maxOutputBytes: positiveInteger.min(1024).default(10 * 1024 * 1024),
});

/** The options of a CodeSandbox with every default filled in. */
export type ResolvedCodeSandboxOptions = z.output<typeof codeSandboxOptionsSchema>;

/** `ExecuteOptions`, checked before a call is queued; the sandbox's `timeoutMs` is the default. */
export const executeOptionsSchema = z.strictObject({
  description: z.string().optional(),
  timeoutMs: positiveInteger.optional(),
  abortSignal: z.instanceof(AbortSignal).optional(),
  clearContext: z.boolean().optional(),
  onStdout: z.function().optional(),
  onStderr: z.function().optional(),
  onDisplay: z.function().optional(),
});

/** The options of `CodeSandbox.writeFiles()`. */
export interface WriteFilesOptions {
  abortSignal?: AbortSignal;
  /**
   * Keep the files in memory and write them again into a session that replaces a lost one (the
   * memory cost is their size, until the sandbox is closed). False writes them once.
   * @default true
   */
  keep?: boolean;
}

/** The options of `writeFiles()`. */
export const writeFilesOptionsSchema = z.strictObject({
  abortSignal: z.instanceof(AbortSignal).optional(),
  keep: z.boolean().optional(),
});

/** The files of `writeFiles()`. */
export const writeFilesInputSchema = z.array(
  z.object({
    path: z.string().min(1),
    content: z.union([z.string(), z.instanceof(Uint8Array)]),
  }),
);
