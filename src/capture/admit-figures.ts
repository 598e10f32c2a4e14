import type { FigureProblem } from '../types/index.js';

/** The figures admitted so far in one execution: their indices, at most `maxFigures` of them. */
export interface FigureAdmission {
  maxFigures: number;
  admitted: Set<number>;
}

/**
 * Host-side limits on the figures the sandbox announced, whatever printed them: at most
 * `maxFigures` per execution and one figure per index. The prelude keeps these limits itself,
 * but code that read the execution's nonce can print markers of its own; without this check they
 * could pass `maxFigures` (and fill a sink) or reuse an index (and overwrite a stored figure, as
 * sink keys and file names are built from the index). Refused figures become `parse` problems.
 */
export function admitFigures<Figure extends { index: number }>(
  figures: readonly Figure[],
  admission: FigureAdmission,
  problems: FigureProblem[],
): Figure[] {
  const kept: Figure[] = [];
  for (const figure of figures) {
    if (admission.admitted.has(figure.index)) {
      problems.push({
        index: figure.index,
        stage: 'parse',
        reason: `figure ${figure.index + 1}: a second figure with the same index was refused`,
      });
    } else if (admission.admitted.size >= admission.maxFigures) {
      problems.push({
        index: figure.index,
        stage: 'parse',
        reason: `figure ${figure.index + 1}: over the limit of figures per call (maxFigures: ${admission.maxFigures}), refused`,
      });
    } else {
      admission.admitted.add(figure.index);
      kept.push(figure);
    }
  }
  return kept;
}
