import type { BackendRunResult, BackendSession } from '../backends/types.js';
import { admitFigures, type FigureAdmission } from '../capture/admit-figures.js';
import type { ResolvedCaptureOptions } from '../capture/capture-options.js';
import { checkFigureData } from '../capture/check-figure-data.js';
import type { FigureMarkerParser } from '../capture/marker-parser.js';
import type { CapturedFigure, FigureProblem } from '../types/index.js';
import { fetchFigureFiles } from './figure-file-transport.js';

/**
 * Every figure one execution made, in index order: those its markers carried, those it saved as
 * files (read back from the session), then those the backend received out of band. Each is held
 * to `maxFigures` and one figure per index, and checked (format, size); refused or unreadable ones
 * are added to `problems`.
 */
export async function collectFigures(
  session: BackendSession,
  parser: FigureMarkerParser,
  run: BackendRunResult,
  context: {
    nonce: string;
    capture: ResolvedCaptureOptions;
    abortSignal: AbortSignal | undefined;
    problems: FigureProblem[];
  },
): Promise<CapturedFigure[]> {
  const { problems } = context;
  const admission: FigureAdmission = {
    maxFigures: context.capture.maxFigures,
    admitted: new Set(),
  };
  const captured: CapturedFigure[] = admitFigures(parser.figures, admission, problems);
  const fileFigures = admitFigures(parser.fileFigures, admission, problems);
  if (parser.fileFigures.length > 0) {
    const fetched = await fetchFigureFiles(session, fileFigures, {
      nonce: context.nonce,
      limits: context.capture,
      abortSignal: context.abortSignal,
      problems,
    });
    captured.push(...fetched);
    captured.sort((first, second) => first.index - second.index);
  }
  // Images the backend received out of band (AgentCore image content): checked like any figure,
  // after the marker figures, within the same maxFigures.
  let nextIndex = Math.max(-1, ...admission.admitted) + 1;
  const outOfBand = (run.figures ?? []).map(({ data, ...figure }) => ({
    announced: { ...figure, index: nextIndex++ },
    data,
  }));
  for (const { announced, data } of admitFigures(
    outOfBand.map((entry) => ({ ...entry, index: entry.announced.index })),
    admission,
    problems,
  )) {
    const checked = checkFigureData(announced, data, context.capture);
    if (typeof checked === 'string') {
      problems.push({
        index: announced.index,
        stage: 'capture',
        reason: `figure ${announced.index + 1}: ${checked}`,
      });
    } else {
      captured.push(checked);
    }
  }
  return captured;
}
