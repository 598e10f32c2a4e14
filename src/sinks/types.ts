import type {
  CapturedFigure,
  CapturedFile,
  FigureProblem,
  StoredFigure,
  StoredFile,
} from '../types/index.js';

export interface ImageSinkContext {
  executionId: string;
  sessionId?: string;
  abortSignal?: AbortSignal;
  /** Records a problem that did not stop the figure from being stored (e.g. a fallback). */
  reportProblem: (problem: FigureProblem) => void;
}

/** `put` calls run at once for a sink that does not set `concurrency`. */
export const DEFAULT_SINK_CONCURRENCY = 4;

/** Where figures go. One small interface; one factory per implementation. */
export interface ImageSink {
  readonly name: string;
  /**
   * How many `put` calls are worth running at once for the figures of one execution (network
   * sinks gain from overlapping uploads).
   * @default 4
   */
  readonly concurrency?: number;
  /** Stores one figure; throws a `SinkError` when it cannot. */
  put(figure: CapturedFigure, context: ImageSinkContext): Promise<StoredFigure>;
  /**
   * Stores one file the code wrote; throws a `SinkError` when it cannot. Optional: a sink without
   * it stores figures only, and the files of an execution are listed in `problems` instead.
   * The path is the sandbox's (hostile) text: never build a key or a path from it unsanitised.
   */
  putFile?(file: CapturedFile, context: ImageSinkContext): Promise<StoredFile>;
}
