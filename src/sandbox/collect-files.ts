import type { BackendSession } from '../backends/types.js';
import { formatBytes } from '../capture/format-bytes.js';
import type { FigureMarkerParser } from '../capture/marker-parser.js';
import type { ResolvedOutputFileOptions } from '../capture/output-file-options.js';
import { errorMessage, SandplotError } from '../errors/index.js';
import { fileMediaType } from '../internal/file-media-type.js';
import { mapConcurrently } from '../internal/map-concurrently.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import type { CapturedFile, FigureProblem } from '../types/index.js';

/** Files read from the sandbox at once (transport 'files'); each read is a round trip. */
const FILE_READ_CONCURRENCY = 4;

/**
 * The files one execution wrote: those its markers carried, and (transport 'files') those it
 * left in the sandbox, read back by path. A file that cannot be read, or is over `maxFileBytes`
 * when read, becomes a `capture` problem naming its path. Sorted by path.
 */
export async function collectFiles(
  session: BackendSession,
  parser: FigureMarkerParser,
  context: {
    limits: ResolvedOutputFileOptions;
    abortSignal: AbortSignal | undefined;
    problems: FigureProblem[];
  },
): Promise<CapturedFile[]> {
  const files = [...parser.files];
  if (parser.fileRefs.length > 0 && session.isAlive) {
    const read = await mapConcurrently(parser.fileRefs, FILE_READ_CONCURRENCY, async (path) => {
      try {
        const data = await session.readFile(
          path,
          withoutUndefined({ abortSignal: context.abortSignal }),
        );
        if (data.byteLength > context.limits.maxFileBytes) {
          return problem(
            path,
            `${formatBytes(data.byteLength)}, over maxFileBytes (${formatBytes(context.limits.maxFileBytes)}): not collected`,
          );
        }
        return { path, mediaType: fileMediaType(path), data };
      } catch (error) {
        if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
        return problem(path, `could not be read from the sandbox: ${errorMessage(error)}`);
      }
    });
    for (const outcome of read) {
      if ('data' in outcome) files.push(outcome);
      else context.problems.push(outcome);
    }
  } else {
    for (const path of parser.fileRefs) {
      context.problems.push(
        problem(path, 'was written, but the session ended before it could be read'),
      );
    }
  }
  return files.sort((first, second) =>
    first.path < second.path ? -1 : first.path > second.path ? 1 : 0,
  );
}

function problem(path: string, reason: string): FigureProblem {
  return { stage: 'capture', path, reason: `${JSON.stringify(path)}: ${reason}` };
}
