import type { BackendSession } from '../backends/types.js';
import { checkFigureData, type FigureDataLimits } from '../capture/check-figure-data.js';
import { figureFilePath, figureFilesFolder } from '../capture/figure-files.js';
import { errorMessage, SandplotError } from '../errors/index.js';
import { mapConcurrently } from '../internal/map-concurrently.js';
import { withoutUndefined } from '../internal/without-undefined.js';
import type { CapturedFigure, FigureProblem, FileFigure } from '../types/index.js';

/** Figure files read at once; each read is a round trip to the sandbox. */
const FILE_READ_CONCURRENCY = 4;

/** What reading one execution's figure files needs besides the session. */
export interface FigureFileContext {
  /** The execution's nonce: its files are in `.sandplot/figures/{nonce}`. */
  nonce: string;
  limits: FigureDataLimits;
  abortSignal: AbortSignal | undefined;
  /** Figures that could not be read or checked are added here. */
  problems: FigureProblem[];
}

/**
 * Reads the figures the prelude saved with `capture.transport: 'files'`, checks them like
 * figures from stdout, and removes the execution's folder. A figure that cannot be read or
 * checked becomes a problem; the others are delivered.
 */
export async function fetchFigureFiles(
  session: BackendSession,
  announced: FileFigure[],
  context: FigureFileContext,
): Promise<CapturedFigure[]> {
  if (!session.isAlive) {
    // The files went down with the session.
    for (const figure of announced) {
      context.problems.push({
        index: figure.index,
        stage: 'capture',
        reason: `figure ${figure.index + 1} was saved in the sandbox, but the session ended before it could be read`,
      });
    }
    return [];
  }
  let outcomes: (CapturedFigure | FigureProblem)[];
  try {
    outcomes = await mapConcurrently(announced, FILE_READ_CONCURRENCY, (figure) =>
      readFigureFile(session, figure, context),
    );
  } finally {
    const removal = removeFigureFiles(session, context.nonce);
    // An aborted call rejects at once; the folder goes away in the background.
    if (!context.abortSignal?.aborted) await removal;
  }
  const figures: CapturedFigure[] = [];
  for (const outcome of outcomes) {
    if ('data' in outcome) figures.push(outcome);
    else context.problems.push(outcome);
  }
  return figures;
}

/**
 * Removes one execution's figure folder. Never rejects, and a failure is not a problem entry:
 * the figures were already read, and a leftover folder only takes disk space in a sandbox that
 * goes away with its session; a problem would read as a lost figure.
 */
export async function removeFigureFiles(session: BackendSession, nonce: string): Promise<void> {
  if (!session.isAlive || session.removeFiles === undefined) return;
  try {
    await session.removeFiles([figureFilesFolder(nonce)]);
  } catch {
    // Nothing to report; see above.
  }
}

async function readFigureFile(
  session: BackendSession,
  figure: FileFigure,
  context: FigureFileContext,
): Promise<CapturedFigure | FigureProblem> {
  const path = figureFilePath(context.nonce, figure);
  let data: Uint8Array;
  try {
    data = await session.readFile(path, withoutUndefined({ abortSignal: context.abortSignal }));
  } catch (error) {
    if (SandplotError.isInstance(error) && error.code === 'ABORTED') throw error;
    return {
      index: figure.index,
      stage: 'capture',
      reason: `figure ${figure.index + 1} could not be read from ${path}: ${errorMessage(error)}`,
    };
  }
  const checked = checkFigureData(figure, data, context.limits);
  if (typeof checked !== 'string') return checked;
  return {
    index: figure.index,
    stage: 'capture',
    reason: `figure ${figure.index + 1}: ${checked}`,
  };
}
