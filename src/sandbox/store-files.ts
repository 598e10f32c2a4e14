import { errorMessage, SandplotError } from '../errors/index.js';
import { mapConcurrently } from '../internal/map-concurrently.js';
import { DEFAULT_SINK_CONCURRENCY, type ImageSink, type ImageSinkContext } from '../sinks/types.js';
import type { CapturedFile, FigureProblem, StoredFile } from '../types/index.js';

/**
 * Stores the files through the sink's `putFile`, at most its `concurrency` at once, and returns
 * those stored, in order. A sink without `putFile` stores none: each file becomes a `store`
 * problem saying so, never a silent loss. A file the sink refuses becomes a `store` problem; an
 * abort rejects.
 */
export async function storeFiles(
  sink: ImageSink,
  files: CapturedFile[],
  context: ImageSinkContext & { problems: FigureProblem[] },
): Promise<StoredFile[]> {
  const { problems, ...sinkContext } = context;
  const putFile = sink.putFile?.bind(sink);
  if (putFile === undefined) {
    for (const file of files) {
      problems.push({
        stage: 'store',
        path: file.path,
        sink: sink.name,
        reason: `${JSON.stringify(file.path)}: the ${sink.name} sink stores figures only (it has no putFile)`,
      });
    }
    return [];
  }
  const stored = await mapConcurrently(
    files,
    sink.concurrency ?? DEFAULT_SINK_CONCURRENCY,
    async (file) => {
      try {
        return await putFile(file, sinkContext);
      } catch (error) {
        if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
        problems.push({
          stage: 'store',
          path: file.path,
          sink: sink.name,
          reason: `${JSON.stringify(file.path)}: ${errorMessage(error)}`,
        });
        return undefined;
      }
    },
  );
  return stored.filter((file): file is StoredFile => file !== undefined);
}
