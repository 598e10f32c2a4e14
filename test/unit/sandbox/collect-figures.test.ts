import { describe, expect, it } from 'vitest';
import type { BackendSession } from '../../../src/backends/types.js';
import { DEFAULT_CAPTURE } from '../../../src/capture/capture-options.js';
import { createFigureMarkerParser } from '../../../src/capture/marker-parser.js';
import { createNonce } from '../../../src/capture/wrap-code.js';
import { collectFigures } from '../../../src/sandbox/collect-figures.js';
import type { FigureProblem } from '../../../src/types/index.js';
import { tinyPng } from '../../support/png.js';

const session = { id: 's', isAlive: true } as unknown as BackendSession;

describe('collectFigures with images the backend received out of band', () => {
  it('checks them like marker figures: a real PNG is kept, a forged one is a problem', async () => {
    const nonce = createNonce();
    const problems: FigureProblem[] = [];
    const forged = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const figures = await collectFigures(
      session,
      createFigureMarkerParser({ nonce }),
      {
        exitCode: 0,
        figures: [
          { mediaType: 'image/png', data: tinyPng },
          { mediaType: 'image/png', data: forged },
        ],
      },
      { nonce, capture: DEFAULT_CAPTURE, abortSignal: undefined, problems },
    );
    expect(figures.map((figure) => [figure.index, figure.width, figure.height])).toEqual([
      [0, 1, 1],
    ]);
    expect(problems).toEqual([
      expect.objectContaining({
        index: 1,
        stage: 'capture',
        reason: expect.stringMatching(/^figure 2: /),
      }),
    ]);
  });

  it('holds them to maxFigures with the others', async () => {
    const nonce = createNonce();
    const problems: FigureProblem[] = [];
    const figures = await collectFigures(
      session,
      createFigureMarkerParser({ nonce }),
      {
        exitCode: 0,
        figures: Array.from({ length: 3 }, () => ({
          mediaType: 'image/png' as const,
          data: tinyPng,
        })),
      },
      { nonce, capture: { ...DEFAULT_CAPTURE, maxFigures: 2 }, abortSignal: undefined, problems },
    );
    expect(figures).toHaveLength(2);
    expect(problems).toEqual([
      expect.objectContaining({
        index: 2,
        reason: expect.stringMatching(
          /^figure 3: over the limit of figures per call \(maxFigures: 2\)/,
        ),
      }),
    ]);
  });
});
