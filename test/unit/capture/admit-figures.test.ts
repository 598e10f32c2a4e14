import { describe, expect, test } from 'vitest';
import { admitFigures } from '../../../src/capture/admit-figures.js';
import type { FigureProblem } from '../../../src/types/index.js';

describe('admitFigures', () => {
  test('keeps the first figure of each index, at most maxFigures, and lists the rest', () => {
    const problems: FigureProblem[] = [];
    const admission = { maxFigures: 2, admitted: new Set<number>() };
    const kept = admitFigures([{ index: 0 }, { index: 0 }, { index: 1 }], admission, problems);
    const later = admitFigures([{ index: 7 }], admission, problems);
    expect(kept).toEqual([{ index: 0 }, { index: 1 }]);
    expect(later).toEqual([]);
    expect(problems).toEqual([
      {
        index: 0,
        stage: 'parse',
        reason: 'figure 1: a second figure with the same index was refused',
      },
      {
        index: 7,
        stage: 'parse',
        reason: 'figure 8: over the limit of figures per call (maxFigures: 2), refused',
      },
    ]);
  });
});
