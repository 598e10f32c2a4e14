import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, errorMessage, SinkError } from '../errors/index.js';
import { abortedError, throwIfAborted } from '../internal/abort.js';
import { extensionFor } from './media.js';
import { safeFilePath } from './safe-file-path.js';
import type { ImageSink, ImageSinkContext } from './types.js';

export interface LocalDirSinkOptions {
  /** Folder figures and files are written to; created when missing. Relative paths resolve against the working directory. */
  dir: string;
}

const optionsSchema = z.object({ dir: z.string().min(1) });

/**
 * Writes figures as files named `{executionId}-figure-{n}.{ext}` (`n` counts from 1, as in
 * "figure 1": `figure.index + 1`), and the files the code wrote under `{executionId}/` with their
 * own (sanitised) paths. Figure names come only from the random execution id and the figure's
 * position; a file's path is cleaned segment by segment and
 * checked to stay inside the folder, so nothing the sandboxed code names can write elsewhere.
 * Everything appears atomically (written to a temporary name, then renamed).
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

  async function store(path: string, data: Uint8Array, context: ImageSinkContext): Promise<void> {
    const temporary = resolve(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      ready ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      await ready;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, data, { flag: 'wx', signal: context.abortSignal });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      if (context.abortSignal?.aborted) throw abortedError('localDirSink', context.abortSignal);
      throw new SinkError(
        'local-dir',
        `localDirSink could not write ${path}: ${errorMessage(error)}. Check that the \`dir\` option names a writable folder.`,
        { cause: error },
      );
    }
  }

  return {
    name: 'local-dir',
    async put(figure, context) {
      checkExecutionId(context.executionId);
      throwIfAborted(context.abortSignal, 'localDirSink.put');
      const name = `${context.executionId}-figure-${figure.index + 1}.${extensionFor(figure.mediaType)}`;
      const path = resolve(dir, name);
      await store(path, figure.data, context);
      const { data, ...rest } = figure;
      return {
        ...rest,
        sink: 'local-dir',
        url: pathToFileURL(path).href,
        path,
        byteLength: data.byteLength,
      };
    },
    async putFile(file, context) {
      checkExecutionId(context.executionId);
      throwIfAborted(context.abortSignal, 'localDirSink.putFile');
      const folder = resolve(dir, context.executionId);
      const path = resolve(folder, safeFilePath(file.path));
      if (!path.startsWith(folder + sep)) {
        throw new SinkError(
          'local-dir',
          `localDirSink refused the file ${JSON.stringify(file.path)}: it would be written outside ${folder}.`,
        );
      }
      await store(path, file.data, context);
      return {
        path: file.path,
        mediaType: file.mediaType,
        sink: 'local-dir',
        url: pathToFileURL(path).href,
        localPath: path,
        byteLength: file.data.byteLength,
      };
    },
  };
}

function checkExecutionId(executionId: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(executionId)) {
    throw new SinkError(
      'local-dir',
      `localDirSink refused execution id ${JSON.stringify(executionId)}: ids must be letters, digits, _ and -.`,
    );
  }
}
