import { ConfigError } from '../errors.js';
import { base64Sink } from '../sinks/base64.js';
import { localDirSink } from '../sinks/local-dir.js';
import type { ImageSink } from '../sinks/types.js';

/** Turns `--sink dir:PATH | base64` into a sink. */
export function sinkFromOption(value: string): ImageSink {
  if (value === 'base64') return base64Sink();
  if (value.startsWith('dir:') && value.length > 'dir:'.length) {
    return localDirSink({ dir: value.slice('dir:'.length) });
  }
  throw new ConfigError(
    `Unknown --sink ${JSON.stringify(value)}: use dir:PATH (files in a folder) or base64 (inline data URLs).`,
  );
}
