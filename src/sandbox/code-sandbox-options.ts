import type { SandboxBackend } from '../backends/types.js';
import type { ImageSink } from '../sinks/types.js';
import type { CaptureOptions } from '../types/index.js';

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
}
