import { errorMessage, SandplotError } from '../errors/index.js';
import { mapConcurrently } from '../internal/map-concurrently.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import { DEFAULT_SINK_CONCURRENCY, type ImageSink } from '../sinks/types.js';
import type { CapturedFigure, FigureProblem, StoredFigure } from '../types/index.js';

/** What storing one execution's figures needs besides the sink. */
export interface StoreFiguresContext {
  executionId: string;
  sessionId: string;
  abortSignal: AbortSignal | undefined;
  /** Figures the sink could not store, and problems it reported, are added here. */
  problems: FigureProblem[];
}

/**
 * Stores the figures through the sink, at most its `concurrency` at once, and returns those
 * stored, in order. A figure the sink refuses becomes a `store` problem; an abort rejects.
 */
export async function storeFigures(
  sink: ImageSink,
  captured: CapturedFigure[],
  context: StoreFiguresContext,
): Promise<StoredFigure[]> {
  const sinkContext = {
    executionId: context.executionId,
    sessionId: context.sessionId,
    ...withoutUndefined({ abortSignal: context.abortSignal }),
    reportProblem: (problem: FigureProblem) => {
      context.problems.push({ ...problem, reason: String(problem.reason) });
    },
  };
  const concurrency = sink.concurrency ?? DEFAULT_SINK_CONCURRENCY;
  const stored = await mapConcurrently(captured, concurrency, async (figure) => {
    try {
      return await sink.put(figure, sinkContext);
    } catch (error) {
      if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
      context.problems.push({
        index: figure.index,
        stage: 'store',
        sink: sink.name,
        reason: errorMessage(error),
      });
      return undefined;
    }
  });
  return stored.filter((figure): figure is StoredFigure => figure !== undefined);
}
