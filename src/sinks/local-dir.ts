import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, errorMessage, SinkError } from '../errors/index.js';
import { abortedError, throwIfAborted } from '../internal/abort.js';
import { extensionFor } from './media.js';
import type { ImageSink } from './types.js';

export interface LocalDirSinkOptions {
  /** Folder figures are written to; created when missing. Relative paths resolve against the working directory. */
  dir: string;
}

const optionsSchema = z.object({ dir: z.string().min(1) });

/**
 * Writes figures as files named `{executionId}-figure-{index}.{ext}`. Names come only from the
 * random execution id and the figure's position, so nothing the sandboxed code prints can steer
 * the path. Files appear atomically (written to a temporary name, then renamed).
 */
export function localDirSink(options: LocalDirSinkOptions): ImageSink {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError('localDirSink needs a `dir` option: the folder figures are written to.', {
      cause: parsed.error,
    });
  }
  const dir = resolve(parsed.data.dir);
  let ready: Promise<unknown> | undefined;
  return {
    name: 'local-dir',
    async put(figure, context) {
      if (!/^[A-Za-z0-9_-]+$/.test(context.executionId)) {
        throw new SinkError(
          'local-dir',
          `localDirSink refused execution id ${JSON.stringify(context.executionId)}: ids must be letters, digits, _ and -.`,
        );
      }
      throwIfAborted(context.abortSignal, 'localDirSink.put');
      const name = `${context.executionId}-figure-${figure.index}.${extensionFor(figure.mediaType)}`;
      const path = resolve(dir, name);
      const temporary = resolve(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        ready ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        await writeFile(temporary, figure.data, { flag: 'wx', signal: context.abortSignal });
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => {});
        if (context.abortSignal?.aborted)
          throw abortedError('localDirSink.put', context.abortSignal);
        throw new SinkError(
          'local-dir',
          `localDirSink could not write ${path}: ${errorMessage(error)}. Check that the \`dir\` option names a writable folder.`,
          { cause: error },
        );
      }
      const { data, ...rest } = figure;
      return {
        ...rest,
        sink: 'local-dir',
        url: pathToFileURL(path).href,
        path,
        byteLength: data.byteLength,
      };
    },
  };
}
